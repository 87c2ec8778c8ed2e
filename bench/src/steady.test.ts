import { LatencyHistogram, type Phase, type ProgressSnapshot } from '@ump/ingest/src/simulator';
import { createSteadyMeter } from './steady';

function snapshot(sendingMs: number, acknowledged: number, latencies: number[], phase: Phase = 'sending', lagMs = 0): ProgressSnapshot {
  const window = new LatencyHistogram();
  latencies.forEach((l) => window.record(l));
  return {
    phase,
    elapsedMs: sendingMs + 5_000,
    sendingMs,
    devices: 10,
    provisioned: 10,
    connected: 10,
    sent: acknowledged,
    acknowledged,
    dataPoints: acknowledged * 3,
    failed: 0,
    failures: {},
    inFlight: 0,
    msgsPerSec: 0,
    dataPointsPerSec: 0,
    window,
    lagMs,
  };
}

describe('createSteadyMeter', () => {
  it('measures rates, latency and lag after the warm-up, leaving out ramp-up and drain', () => {
    const meter = createSteadyMeter(2_000);
    meter.record(snapshot(0, 0, [], 'connecting'));
    meter.record(snapshot(1_000, 500, [100], 'sending', 5_000)); // ramp-up
    meter.record(snapshot(2_000, 1_500, [100], 'sending', 4_000)); // its interval is still ramp-up
    meter.record(snapshot(3_000, 2_500, [1], 'sending', 30));
    meter.record(snapshot(4_000, 3_500, [2], 'sending', 20));
    meter.record(snapshot(4_500, 3_600, [500], 'draining', 9_000));
    const steady = meter.result()!;
    expect(steady).toMatchObject({ fromSeconds: 2, toSeconds: 4, msgsPerSec: 1_000, dataPointsPerSec: 3_000, maxLagMs: 30 });
    expect(steady.latency.count).toBe(2);
    expect(steady.latency.max).toBe(2);
  });

  it('has no result when the run ended within the warm-up', () => {
    const meter = createSteadyMeter(10_000);
    meter.record(snapshot(1_000, 10, [1]));
    expect(meter.result()).toBeUndefined();
  });
});
