import { LatencyHistogram } from './histogram';
import type { OtaCounts } from './ota/fleet';

/** Where a run is. */
export type Phase = 'provisioning' | 'connecting' | 'sending' | 'draining' | 'done';

/** What `onProgress` receives about once a second. */
export interface ProgressSnapshot {
  phase: Phase;
  /** Milliseconds since the run started (provisioning included). */
  elapsedMs: number;
  /** Milliseconds since the first message was scheduled; 0 before. */
  sendingMs: number;
  devices: number;
  provisioned: number;
  /** Devices whose link is up right now. */
  connected: number;
  sent: number;
  acknowledged: number;
  /** Key/value pairs accepted so far. */
  dataPoints: number;
  failed: number;
  /** Failed messages and connections by reason. */
  failures: Record<string, number>;
  inFlight: number;
  /** Accepted messages per second over the last interval. */
  msgsPerSec: number;
  /** Accepted key/value pairs per second over the last interval. */
  dataPointsPerSec: number;
  /** Accept latencies recorded during the last interval only (merge them for a window). */
  window: LatencyHistogram;
  /** How far behind its schedule the sender was at worst in the interval, in ms. */
  lagMs: number;
  /** OTA outcomes so far; only with OTA on, once its agents started. */
  ota?: OtaCounts;
}

/** What `runSimulation` resolves with. */
export interface SimulationStats {
  devices: number;
  /** Devices that connected (for HTTP: all of them). */
  connected: number;
  /** Messages the devices tried to send: acknowledged + failed. */
  sent: number;
  acknowledged: number;
  failed: number;
  failures: Record<string, number>;
  /** Accepted points (messages × batch). */
  points: number;
  /** Accepted key/value pairs. */
  dataPoints: number;
  /** Publish → PUBACK or request → 202, of every accepted message, in ms. */
  latency: LatencyHistogram;
  provisionMs: number;
  connectMs: number;
  /** From the first scheduled message until the last one settled. */
  sendMs: number;
  /** True when the run was stopped by its signal rather than by its duration. */
  aborted: boolean;
  /** OTA outcomes; only with OTA on. */
  ota?: OtaCounts;
}

/**
 * The counters of one run and the per-interval view of them. One instance per run: nothing
 * is shared between runs.
 */
export class RunCounters {
  phase: Phase = 'provisioning';
  /** When sending started, on the counters' clock. */
  sendingSince: number | undefined;
  provisioned = 0;
  sent = 0;
  acknowledged = 0;
  failed = 0;
  inFlight = 0;
  points = 0;
  dataPoints = 0;
  readonly failures: Record<string, number> = {};
  readonly latency = new LatencyHistogram();
  private window = new LatencyHistogram();
  private lag = 0;
  private last = { at: 0, acknowledged: 0, dataPoints: 0 };

  constructor(
    readonly devices: number,
    private readonly now: () => number = () => performance.now(),
    readonly startedAt = now(),
  ) {
    this.last.at = startedAt;
  }

  fail(reason: string): void {
    this.failed += 1;
    this.failures[reason] = (this.failures[reason] ?? 0) + 1;
  }

  /** A failure that is not a message (a device that never connected). */
  failConnection(reason: string): void {
    this.failures[reason] = (this.failures[reason] ?? 0) + 1;
  }

  accept(latencyMs: number, points: number, dataPoints: number): void {
    this.acknowledged += 1;
    this.points += points;
    this.dataPoints += dataPoints;
    this.latency.record(latencyMs);
    this.window.record(latencyMs);
  }

  noteLag(ms: number): void {
    if (ms > this.lag) this.lag = ms;
  }

  /** The state now, with rates since the previous snapshot; starts a new interval. */
  snapshot(connected: number, ota?: OtaCounts): ProgressSnapshot {
    const at = this.now();
    const seconds = Math.max(1e-3, (at - this.last.at) / 1000);
    const snap: ProgressSnapshot = {
      phase: this.phase,
      elapsedMs: at - this.startedAt,
      sendingMs: this.sendingSince === undefined ? 0 : at - this.sendingSince,
      devices: this.devices,
      provisioned: this.provisioned,
      connected,
      sent: this.sent,
      acknowledged: this.acknowledged,
      dataPoints: this.dataPoints,
      failed: this.failed,
      failures: { ...this.failures },
      inFlight: this.inFlight,
      msgsPerSec: (this.acknowledged - this.last.acknowledged) / seconds,
      dataPointsPerSec: (this.dataPoints - this.last.dataPoints) / seconds,
      window: this.window,
      lagMs: this.lag,
    };
    if (ota) snap.ota = ota;
    this.last = { at, acknowledged: this.acknowledged, dataPoints: this.dataPoints };
    this.window = new LatencyHistogram();
    this.lag = 0;
    return snap;
  }
}
