import { setTimeout as delay } from 'node:timers/promises';
import { mapConcurrent } from '../concurrency';
import type { SimDevice } from '../provision';
import { reasonOf, type DeviceLink } from '../transports/transport';
import { createOtaAgent, type OtaAgent, type OtaAgentEvent, type OtaJobState } from './agent';
import { createDownloader, type Downloader } from './download';
import type { DeviceFirmware } from './firmware';

/** OTA settings of a run (`--ota` and its companions). */
export interface OtaOptions {
  /** HTTP devices poll for assignments this often (default 5). */
  pollSeconds?: number;
  /** Probability (0–1) that an install fails, decided per device and command (default 0). */
  failureRate?: number;
  /** Seeds the failure decisions (default 0). */
  seed?: number;
  /**
   * Fail exactly `failureRate` of the devices, spread evenly over them in id order (every
   * first n devices by id hold floor(n × rate) failing ones), instead of rolling per device.
   * Rollouts pick devices in id order too, so a canary sees the rate exactly: for tests and
   * demos that must behave the same on every run.
   */
  failureSpread?: boolean;
  /** The simulated install between UPDATING and UPDATED (default 2,000 ms). */
  installMs?: number;
  /** DOWNLOADING is reported every this many percent (default 25). */
  progressStepPercent?: number;
  /** Requests per artifact download before it fails (default 5). */
  downloadAttempts?: number;
  /** A download stalled this long is cut and resumed (default 30,000 ms). */
  downloadIdleTimeoutMs?: number;
}

/** OTA outcomes of a run so far, counted per assignment. */
export interface OtaCounts {
  /** Devices with an OTA agent (connected devices whose transport carries OTA). */
  agents: number;
  updated: number;
  failed: number;
  /** Assignments being worked on right now. */
  inProgress: number;
  cancelled: number;
  /** Assignments abandoned because the run ended while they ran. */
  stopped: number;
  /** FAILED reports by reason: `checksum mismatch`, `simulated install failure`, `download failed: http-404`, … */
  failures: Record<string, number>;
  /** Status reports given up after their retries. */
  reportsLost: number;
  /** Downlink messages that were not a valid assignment. */
  invalidMessages: number;
  /** Failed polls or subscriptions, by reason. */
  listenErrors: Record<string, number>;
}

/** A device taking part in OTA, as the run holds it. */
export interface OtaDevice {
  device: SimDevice;
  link: DeviceLink | undefined;
  firmware: DeviceFirmware;
}

/** Options of `startOtaFleet`. */
export interface OtaFleetOptions extends OtaOptions {
  /** The intake's HTTP base URL: artifact URLs are paths on it. */
  intakeHttpUrl: string;
  /** Agents started at once (announce, subscribe) (default 100). */
  concurrency?: number;
  /** Every agent event, for tests and end-to-end checks. */
  onEvent?: (event: OtaAgentEvent) => void;
  /** Stops starting agents. */
  signal?: AbortSignal;
  /** Downloads artifacts instead of a `createDownloader` on `intakeHttpUrl` (tests inject one); closed on stop. */
  downloader?: Downloader;
}

/** The OTA side of a run; see `startOtaFleet`. */
export interface OtaFleet {
  counts(): OtaCounts;
  /** The latest assignment of a device, by name; undefined for a device without an agent. */
  stateOf(name: string): OtaJobState | undefined;
  /**
   * Abandons running assignments, then waits up to `graceMs` (default 2,000) for queued
   * reports to go out; call it before closing the links. Calling it again waits for the first call.
   */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts an OTA agent for every device whose link carries OTA (devices that never connected
 * are left out), `concurrency` at a time: each announces its firmware and starts listening.
 * Resolves once all have started; an agent that cannot listen is counted under
 * `listenErrors` and left out.
 */
export async function startOtaFleet(devices: readonly OtaDevice[], opts: OtaFleetOptions): Promise<OtaFleet> {
  const counts: OtaCounts = { agents: 0, updated: 0, failed: 0, inProgress: 0, cancelled: 0, stopped: 0, failures: {}, reportsLost: 0, invalidMessages: 0, listenErrors: {} };
  const bump = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);
  const onEvent = (event: OtaAgentEvent) => {
    switch (event.type) {
      case 'started':
        counts.inProgress += 1;
        break;
      case 'finished':
        counts.inProgress -= 1;
        if (event.outcome === 'UPDATED') counts.updated += 1;
        else if (event.outcome === 'FAILED') {
          counts.failed += 1;
          bump(counts.failures, event.reason ?? 'unknown');
        } else if (event.outcome === 'CANCELLED') counts.cancelled += 1;
        else counts.stopped += 1;
        break;
      case 'report':
        if (!event.delivered) counts.reportsLost += 1;
        break;
      case 'invalid':
        counts.invalidMessages += 1;
        break;
      case 'listen-error':
        bump(counts.listenErrors, reasonOf(event.error));
        break;
    }
    opts.onEvent?.(event);
  };

  const downloader: Downloader = opts.downloader ?? createDownloader({
    baseUrl: opts.intakeHttpUrl,
    attempts: opts.downloadAttempts,
    idleTimeoutMs: opts.downloadIdleTimeoutMs,
  });
  const agents = new Map<string, OtaAgent>();
  const eligible = devices.filter((d) => d.link?.ota);
  const failing = opts.failureSpread ? spreadFailures(eligible.map((d) => d.device.id), opts.failureRate ?? 0) : undefined;
  await mapConcurrent(eligible, opts.concurrency ?? 100, async ({ device, link, firmware }) => {
    if (opts.signal?.aborted) return;
    const agent = createOtaAgent({
      device,
      firmware,
      link: link!.ota!,
      downloader,
      failureRate: opts.failureRate,
      seed: opts.seed,
      failsInstall: failing?.has(device.id),
      installMs: opts.installMs,
      progressStepPercent: opts.progressStepPercent,
      onEvent,
    });
    try {
      await agent.start();
      agents.set(device.name, agent);
      counts.agents += 1;
    } catch (error) {
      onEvent({ type: 'listen-error', device, error });
    }
  });

  let stopping: Promise<void> | undefined;
  return {
    counts: () => ({ ...counts, failures: { ...counts.failures }, listenErrors: { ...counts.listenErrors } }),
    stateOf: (name) => agents.get(name)?.state(),
    stop(graceMs = 2_000) {
      stopping ??= (async () => {
        const stopped = Promise.all([...agents.values()].map((a) => a.stop()));
        const grace = new AbortController();
        await Promise.race([stopped, delay(graceMs, undefined, { signal: grace.signal }).catch(() => undefined)]);
        grace.abort();
        downloader.close();
      })();
      return stopping;
    },
  };
}

/** The ids that fail when `rate` of them must, evenly spread in id order (see failureSpread). */
export function spreadFailures(ids: string[], rate: number): Set<string> {
  const sorted = [...ids].sort();
  return new Set(sorted.filter((_, i) => Math.floor((i + 1) * rate + 1e-9) > Math.floor(i * rate + 1e-9)));
}
