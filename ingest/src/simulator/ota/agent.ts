import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { withRetry } from '../concurrency';
import type { SimDevice } from '../provision';
import { reasonOf, type OtaLink } from '../transports/transport';
import type { Downloader } from './download';
import type { DeviceFirmware } from './firmware';
import { parseAssignment, type OtaStatus, type OtaStatusReport, type OtaUpdateCommand } from './protocol';

/** How an assignment ended for a device. `STOPPED`: the simulation ended while it ran. */
export type OtaOutcome = 'UPDATED' | 'FAILED' | 'CANCELLED' | 'STOPPED';

/** What an agent tells its owner; counters and tests listen to these. */
export type OtaAgentEvent =
  | { type: 'started'; device: SimDevice; commandId: string }
  | { type: 'finished'; device: SimDevice; commandId: string; outcome: OtaOutcome; reason?: string }
  | { type: 'report'; device: SimDevice; report: OtaStatusReport; delivered: boolean; error?: unknown }
  | { type: 'invalid'; device: SimDevice; error: string }
  | { type: 'listen-error'; device: SimDevice; error: unknown };

/** The latest assignment a device worked on, as `state()` shows it. */
export interface OtaJobState {
  commandId?: string;
  /** The last status the device reported for it. */
  status?: OtaStatus;
  outcome?: OtaOutcome;
  reason?: string;
}

/** Options of `createOtaAgent`. */
export interface OtaAgentOptions {
  device: SimDevice;
  /** The device's firmware; the agent replaces it when an update completes. */
  firmware: DeviceFirmware;
  link: OtaLink;
  downloader: Pick<Downloader, 'download'>;
  /** Probability (0–1) that an install fails with "simulated install failure" (default 0). */
  failureRate?: number;
  /** Seeds the failure roll; the same seed, device and command always roll the same (default 0). */
  seed?: number;
  /** Decides the install outcome instead of the roll (the fleet's evenly spread failures). */
  failsInstall?: boolean;
  /** The simulated install, between UPDATING and UPDATED (default 2,000 ms). */
  installMs?: number;
  /** DOWNLOADING is reported at 0 and each time the download crosses another multiple of this (default 25). */
  progressStepPercent?: number;
  /** Tries per status report before it is given up (default 3). */
  reportAttempts?: number;
  onEvent?: (event: OtaAgentEvent) => void;
}

/** One simulated device's OTA client; see `createOtaAgent`. */
export interface OtaAgent {
  /** Announces the running firmware (`UPDATED` with title and version), then starts listening. Rejects if listening fails. */
  start(): Promise<void>;
  /** Handles one downlink message (what the link delivers); a malformed one is reported as an `invalid` event and ignored. */
  handle(raw: string): void;
  /** The latest assignment's state. */
  state(): OtaJobState;
  /** Abandons the running assignment (outcome `STOPPED`, nothing reported) and waits for queued reports to settle. */
  stop(): Promise<void>;
}

/**
 * A number in [0, 1) fixed by seed, device and command: whether an install fails is decided
 * by it, so a run is repeatable and a retried command on the same device fails the same way.
 */
export function otaFailureRoll(seed: number, deviceId: string, commandId: string): number {
  return createHash('sha256').update(`${seed}\0${deviceId}\0${commandId}`).digest().readUInt32BE(0) / 2 ** 32;
}

type Job = { command: OtaUpdateCommand; abort: AbortController; state: OtaJobState; done?: Promise<void> };

// Enough to recognise a redelivered assignment; a device does not need its whole history.
const REMEMBERED = 64;
const remember = <T>(map: Map<string, T>, key: string, value: T) => {
  map.delete(key);
  map.set(key, value);
  if (map.size > REMEMBERED) map.delete(map.keys().next().value!);
};

/**
 * A device's OTA client. On `UPDATE` it reports QUEUED, DOWNLOADING with progress, downloads
 * (resuming cut transfers), DOWNLOADED, VERIFYING (SHA-256 against the assignment: FAILED
 * "checksum mismatch"), UPDATING, waits `installMs`, then either FAILED "simulated install
 * failure" (with probability `failureRate`, see `otaFailureRoll`) or switches its firmware
 * and reports UPDATED with title and version. A download that fails after its retries is
 * FAILED "download failed: <reason>". Every report carries commandId and firmwareId.
 *
 * Assignments are handled one at a time: a repeat of the running command is ignored (HTTP
 * polls return it until it ends, MQTT sends it again on resubscribe); a repeat of a finished
 * one gets its final report again (it may have been lost); a different UPDATE supersedes the
 * running one, which is reported FAILED "superseded by <commandId>"; firmware the device
 * already runs is reported UPDATED at once. `CANCEL` stops the named command without a report
 * (any time before the firmware switch) and makes the device ignore it from then on.
 * Reports go out in order, each retried `reportAttempts` times; a lost one is an event, not
 * an error.
 */
export function createOtaAgent(opts: OtaAgentOptions): OtaAgent {
  const { device, firmware, link, downloader } = opts;
  const failureRate = opts.failureRate ?? 0;
  const installMs = opts.installMs ?? 2_000;
  const stepPercent = Math.max(1, opts.progressStepPercent ?? 25);
  const emit = (event: OtaAgentEvent) => opts.onEvent?.(event);

  let current: Job | undefined;
  let latest: OtaJobState = {};
  let jobs: Promise<void> = Promise.resolve();
  let reports: Promise<void> = Promise.resolve();
  const finished = new Map<string, OtaStatusReport>();
  const cancelled = new Map<string, true>();

  const send = (report: OtaStatusReport): Promise<void> => {
    const full = { ...report, ts: Date.now() };
    reports = reports.then(() =>
      withRetry(() => link.report(full), { attempts: opts.reportAttempts ?? 3, baseMs: 200 }).then(
        () => emit({ type: 'report', device, report: full, delivered: true }),
        (error: unknown) => emit({ type: 'report', device, report: full, delivered: false, error }),
      ),
    );
    return reports;
  };

  const end = (job: Job, outcome: OtaOutcome, reason?: string) => {
    if (job.state.outcome) return;
    job.state.outcome = outcome;
    if (reason !== undefined) job.state.reason = reason;
    if (current === job) current = undefined;
    emit({ type: 'finished', device, commandId: job.command.commandId, outcome, reason });
  };

  /** Reports for a live job; silent once the job was cancelled, superseded or stopped. */
  const step = (job: Job, status: OtaStatus, extra: Partial<OtaStatusReport> = {}) => {
    if (job.abort.signal.aborted) return;
    job.state.status = status;
    const report: OtaStatusReport = { commandId: job.command.commandId, firmwareId: job.command.firmware.id, status, ...extra };
    if (status === 'UPDATED' || status === 'FAILED') {
      remember(finished, job.command.commandId, report);
      end(job, status, extra.reason);
    }
    void send(report);
  };

  const run = async (job: Job): Promise<void> => {
    const { signal } = job.abort;
    const target = job.command.firmware;
    if (signal.aborted) return;
    if (firmware.runs(target)) return step(job, 'UPDATED', { title: target.title, version: target.version });
    step(job, 'QUEUED');
    step(job, 'DOWNLOADING', { progress: 0 });
    let next = stepPercent;
    let result;
    try {
      result = await downloader.download(target, device.token, {
        signal,
        onProgress: (received, total) => {
          const progress = total > 0 ? Math.min(100, Math.floor((received * 100) / total)) : 0;
          if (progress < next) return;
          step(job, 'DOWNLOADING', { progress });
          next = (Math.floor(progress / stepPercent) + 1) * stepPercent;
        },
      });
    } catch (error) {
      return step(job, 'FAILED', { reason: `download failed: ${reasonOf(error)}` });
    }
    step(job, 'DOWNLOADED');
    step(job, 'VERIFYING');
    if (result.sha256 !== target.sha256.toLowerCase()) return step(job, 'FAILED', { reason: 'checksum mismatch' });
    step(job, 'UPDATING');
    try {
      await delay(installMs, undefined, { signal });
    } catch {
      return; // cancelled or stopped during the install: the old firmware keeps running
    }
    if (signal.aborted) return;
    const fails = opts.failsInstall ?? otaFailureRoll(opts.seed ?? 0, device.id, job.command.commandId) < failureRate;
    if (fails) {
      return step(job, 'FAILED', { reason: 'simulated install failure' });
    }
    firmware.install(target);
    step(job, 'UPDATED', { title: target.title, version: target.version });
  };

  const begin = (command: OtaUpdateCommand) => {
    const job: Job = { command, abort: new AbortController(), state: { commandId: command.commandId } };
    current = job;
    latest = job.state;
    emit({ type: 'started', device, commandId: command.commandId });
    // One job at a time: a superseding job waits until the one it replaced has let go.
    job.done = jobs.then(() => run(job)).catch((error: unknown) => step(job, 'FAILED', { reason: `error: ${reasonOf(error)}` }));
    jobs = job.done;
  };

  let stopped = false;

  const handle = (raw: string): void => {
    // A poll already in flight when the device stopped may still answer.
    if (stopped) return;
    const parsed = parseAssignment(raw);
    if (!parsed.ok) return emit({ type: 'invalid', device, error: parsed.error });
    const message = parsed.assignment;
    const id = message.commandId;
    if (message.type === 'CANCEL') {
      remember(cancelled, id, true);
      if (current?.command.commandId === id) {
        const job = current;
        job.abort.abort();
        end(job, 'CANCELLED');
      }
      return;
    }
    if (cancelled.has(id) || current?.command.commandId === id) return;
    const final = finished.get(id);
    if (final) return void send(final);
    if (current) {
      const old = current;
      const reason = `superseded by ${id}`;
      old.abort.abort();
      old.state.status = 'FAILED';
      end(old, 'FAILED', reason);
      const report: OtaStatusReport = { commandId: old.command.commandId, firmwareId: old.command.firmware.id, status: 'FAILED', reason };
      remember(finished, old.command.commandId, report);
      void send(report);
    }
    begin(message);
  };

  return {
    async start() {
      await send({ status: 'UPDATED', title: firmware.title, version: firmware.version });
      await link.listen(
        handle,
        (error) => emit({ type: 'listen-error', device, error }),
      );
    },

    handle,
    state: () => ({ ...latest }),

    async stop() {
      stopped = true;
      const job = current;
      if (job) {
        job.abort.abort();
        end(job, 'STOPPED');
      }
      await jobs;
      await reports;
    },
  };
}
