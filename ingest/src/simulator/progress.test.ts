import { LatencyHistogram } from './histogram';
import type { OtaCounts } from './ota/fleet';
import { formatProgress, formatSummary } from './progress';
import type { ProgressSnapshot, SimulationStats } from './stats';

const ota: OtaCounts = {
  agents: 10,
  updated: 6,
  failed: 2,
  inProgress: 1,
  cancelled: 1,
  stopped: 1,
  failures: { 'checksum mismatch': 1, 'simulated install failure': 1 },
  reportsLost: 0,
  invalidMessages: 0,
  listenErrors: {},
};

const snapshot: ProgressSnapshot = {
  phase: 'sending',
  elapsedMs: 12_000,
  sendingMs: 10_000,
  devices: 10,
  provisioned: 10,
  connected: 10,
  sent: 100,
  acknowledged: 100,
  dataPoints: 300,
  failed: 0,
  failures: {},
  inFlight: 0,
  msgsPerSec: 10,
  dataPointsPerSec: 30,
  window: new LatencyHistogram(),
  lagMs: 0,
};

describe('OTA in the progress line and the summary', () => {
  it('shows updated / failed / in progress when OTA is on, and nothing otherwise', () => {
    expect(formatProgress({ ...snapshot, ota })).toContain('ota 6 updated / 2 failed / 1 in progress');
    expect(formatProgress(snapshot)).not.toContain('ota');
  });

  it('sums OTA up with the failure reasons', () => {
    const stats: SimulationStats = {
      devices: 10,
      connected: 10,
      sent: 100,
      acknowledged: 100,
      failed: 0,
      failures: {},
      points: 100,
      dataPoints: 300,
      latency: new LatencyHistogram(),
      provisionMs: 0,
      connectMs: 0,
      sendMs: 10_000,
      aborted: false,
      ota,
    };
    expect(formatSummary(stats)).toContain('ota           10 devices: 6 updated, 2 failed (checksum mismatch 1, simulated install failure 1), 1 cancelled, 2 unfinished');
  });
});
