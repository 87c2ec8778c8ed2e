import { LatencyHistogram, type ProgressSnapshot } from '@ump/ingest/src/simulator';

/** Throughput and accept latency over the steady part of a run. */
export interface SteadyState {
  /** Window in seconds since sending started. */
  fromSeconds: number;
  toSeconds: number;
  msgsPerSec: number;
  dataPointsPerSec: number;
  latency: LatencyHistogram;
  /** How far the load generator fell behind its own schedule at worst, in ms. */
  maxLagMs: number;
}

/**
 * Collects progress snapshots and measures the steady state: from the first snapshot at least
 * `warmupMs` into sending to the last one taken while still sending. Ramp-up (devices
 * starting, caches filling, the JIT warming) and the drain at the end are left out, so the
 * rates are what the platform sustains.
 */
export function createSteadyMeter(warmupMs: number) {
  const sending: ProgressSnapshot[] = [];
  return {
    record(snapshot: ProgressSnapshot) {
      if (snapshot.phase === 'sending') sending.push(snapshot);
    },
    /** The steady state, or undefined when the run was too short to have one. */
    result(): SteadyState | undefined {
      const begin = sending.findIndex((s) => s.sendingMs >= warmupMs);
      if (begin < 0 || begin === sending.length - 1) return undefined;
      const first = sending[begin]!;
      const last = sending[sending.length - 1]!;
      const seconds = (last.sendingMs - first.sendingMs) / 1000;
      const latency = new LatencyHistogram();
      // A snapshot's window covers the interval before it, so the first one's is still ramp-up.
      let maxLagMs = 0;
      for (const s of sending.slice(begin + 1)) {
        latency.merge(s.window);
        maxLagMs = Math.max(maxLagMs, s.lagMs);
      }
      return {
        fromSeconds: first.sendingMs / 1000,
        toSeconds: last.sendingMs / 1000,
        msgsPerSec: (last.acknowledged - first.acknowledged) / seconds,
        dataPointsPerSec: (last.dataPoints - first.dataPoints) / seconds,
        latency,
        maxLagMs,
      };
    },
  };
}
