import type { SimulationOptions } from './args';
import { mapConcurrent } from './concurrency';
import { createGraphQLClient } from './graphql';
import type { OtaAgentEvent, OtaJobState } from './ota/agent';
import { behaviourAdjuster } from './ota/behaviour';
import { DEFAULT_FIRMWARE, DeviceFirmware, type FirmwareRef } from './ota/firmware';
import { startOtaFleet, type OtaCounts, type OtaFleet } from './ota/fleet';
import { pace } from './pacer';
import { provisionFleet, type Fleet } from './provision';
import { RunCounters, type ProgressSnapshot, type SimulationStats } from './stats';
import { createSender, type AcceptedEvent, type DeviceState } from './sender';
import { createDeviceSignal } from './telemetry';
import { createHttpTransport } from './transports/http';
import { createMqttTransport } from './transports/mqtt';
import { reasonOf, type Transport } from './transports/transport';

export type { AcceptedEvent } from './sender';

/** Callbacks and injected parts of `runSimulation`. */
export interface SimulationHooks {
  /** Aborting stops sending, waits for what is in flight, closes every link and resolves. */
  signal?: AbortSignal;
  /** About once per `progressIntervalMs` (default 1,000), in every phase, and once at the end. */
  onProgress?: (snapshot: ProgressSnapshot) => void;
  /** After provisioning, before any device connects. */
  onReady?: (fleet: Fleet) => void;
  /** Every accepted message; keep it cheap, it runs thousands of times a second. */
  onAccepted?: (event: AcceptedEvent) => void;
  /** Once devices are connected and, with OTA, have announced their firmware; before sending starts. */
  onStarted?: (view: RunView) => void;
  /** Every OTA agent event: reports (delivered or lost), assignments started and finished. */
  onOtaEvent?: (event: OtaAgentEvent) => void;
  /** A fleet to use instead of provisioning one through the API. */
  fleet?: Fleet;
  /** A transport to use instead of the one `opts.protocol` names (tests inject one). */
  transport?: Transport;
  progressIntervalMs?: number;
}

/** A device as a running simulation sees it. */
export interface SimulatedDeviceView {
  index: number;
  id: string;
  name: string;
  /** The firmware it runs now. */
  firmware: FirmwareRef;
  connected: boolean;
  /** Its latest OTA assignment; undefined without OTA or before its first one. */
  ota?: OtaJobState;
}

/** A live view of a run, given to `onStarted`; reads are cheap snapshots. */
export interface RunView {
  fleet: Fleet;
  devices(): SimulatedDeviceView[];
  /** OTA outcome counts; undefined without OTA. */
  ota(): OtaCounts | undefined;
}

/**
 * Runs a fleet of simulated devices: provisions them (unless `hooks.fleet` is given),
 * connects them with bounded concurrency (a device that cannot connect is counted under its
 * reason and its messages fail as `not-connected`), then sends `rate` messages per second per
 * device, evenly paced, for `durationSeconds` or until `hooks.signal` aborts. Each message
 * waits at most `ackTimeoutMs` to be accepted. Resolves with the run's statistics once every
 * message has settled and every link is closed; rejects only when provisioning fails, or with
 * a RangeError for devices < 1, rate ≤ 0, batch < 1 or an OTA failure rate outside 0–1.
 *
 * Every device runs `opts.firmware` (default ump-sim@1.0.0) and its telemetry follows the
 * `opts.behaviours` of the version it runs at that moment. With `opts.ota`, each connected
 * device gets an OTA agent (see `createOtaAgent`) once connected: it announces its firmware,
 * listens for assignments and installs them while telemetry flows; assignments still running
 * when sending ends are abandoned (counted as `stopped`).
 */
export async function runSimulation(opts: SimulationOptions, hooks: SimulationHooks = {}): Promise<SimulationStats> {
  // The CLI validates its flags; a library caller gets the same guard against a pacer spinning on NaN.
  if (!(opts.rate > 0 && Number.isFinite(opts.rate)) || !(opts.batch >= 1) || !(opts.devices >= 1)) {
    throw new RangeError(`runSimulation needs devices ≥ 1, rate > 0 and batch ≥ 1 (got ${opts.devices}, ${opts.rate}, ${opts.batch})`);
  }
  const failureRate = opts.ota?.failureRate ?? 0;
  if (!(failureRate >= 0 && failureRate <= 1)) throw new RangeError(`runSimulation needs an OTA failure rate from 0 to 1 (got ${failureRate})`);
  const external = hooks.signal ?? new AbortController().signal;
  const ackTimeoutMs = opts.ackTimeoutMs ?? 10_000;
  const counters = new RunCounters(opts.devices);
  let states: DeviceState[] = [];
  let transport: Transport | undefined;
  let ota: OtaFleet | undefined;
  const connected = () => states.reduce((n, s) => n + (s.link?.isConnected() ? 1 : 0), 0);
  const report = () => hooks.onProgress?.(counters.snapshot(connected(), ota?.counts()));
  const ticker = setInterval(report, hooks.progressIntervalMs ?? 1_000);
  const times: Times = { provisionMs: 0, connectMs: 0, sendMs: 0, connected: 0 };
  const sender = createSender({
    counters,
    ackTimeoutMs,
    maxInFlight: opts.maxInFlightPerDevice ?? 32,
    intervalMs: 1000 / opts.rate,
    batch: opts.batch,
    onAccepted: hooks.onAccepted,
  });

  try {
    let fleet: Fleet;
    try {
      fleet =
        hooks.fleet ??
        (await provisionFleet(createGraphQLClient(opts.apiUrl), {
          devices: opts.devices,
          tenant: opts.tenant,
          email: opts.email,
          password: opts.password,
          concurrency: opts.provisionConcurrency,
          signal: external,
          onProgress: (done) => (counters.provisioned = done),
        }));
    } catch (error) {
      if (external.aborted) return finalStats(counters, times, true);
      throw error;
    }
    counters.provisioned = fleet.devices.length;
    times.provisionMs = performance.now() - counters.startedAt;
    hooks.onReady?.(fleet);

    counters.phase = 'connecting';
    const t = (transport = hooks.transport ?? createTransport(opts, ackTimeoutMs, () => counters.failConnection('mqtt:connection-lost')));
    const links = await mapConcurrent(fleet.devices, opts.connectConcurrency ?? 100, async (device) => {
      if (external.aborted) return undefined;
      try {
        return await t.connect(device, external);
      } catch (error) {
        if (!external.aborted) counters.failConnection(reasonOf(error));
        return undefined;
      }
    });
    states = fleet.devices.map((device, i) => {
      const firmware = new DeviceFirmware(opts.firmware ?? DEFAULT_FIRMWARE);
      const adjust = behaviourAdjuster(opts.behaviours ?? [], () => firmware.version);
      return { device, link: links[i], signal: createDeviceSignal({ seed: device.index, keys: opts.keys, adjust }), firmware, inFlight: 0 };
    });
    times.connected = links.filter(Boolean).length;
    if (opts.ota && !external.aborted) {
      ota = await startOtaFleet(states, {
        ...opts.ota,
        intakeHttpUrl: opts.intakeHttpUrl,
        concurrency: opts.connectConcurrency,
        onEvent: hooks.onOtaEvent,
        signal: external,
      });
    }
    times.connectMs = performance.now() - counters.startedAt - times.provisionMs;
    if (!external.aborted) hooks.onStarted?.(runView(fleet, states, ota));

    counters.phase = 'sending';
    const sendStart = performance.now();
    counters.sendingSince = sendStart;
    if (!external.aborted && states.length > 0) {
      await pace({
        devices: states.length,
        rate: opts.rate,
        durationMs: opts.durationSeconds === undefined ? undefined : opts.durationSeconds * 1000,
        signal: external,
        onDue: (i, lateMs) => {
          counters.noteLag(lateMs);
          sender.issue(states[i]!);
        },
      });
    }
    counters.phase = 'draining';
    await sender.drained();
    times.sendMs = performance.now() - sendStart;
    await ota?.stop();
    const stats = finalStats(counters, times, external.aborted, ota?.counts());
    counters.phase = 'done';
    report();
    return stats;
  } finally {
    clearInterval(ticker);
    await ota?.stop();
    await Promise.allSettled(states.map((s) => s.link?.close()));
    await transport?.close();
  }
}

function runView(fleet: Fleet, states: readonly DeviceState[], ota: OtaFleet | undefined): RunView {
  return {
    fleet,
    devices: () =>
      states.map(({ device, link, firmware }) => ({
        index: device.index,
        id: device.id,
        name: device.name,
        firmware: { title: firmware.title, version: firmware.version },
        connected: link?.isConnected() ?? false,
        ota: ota?.stateOf(device.name),
      })),
    ota: () => ota?.counts(),
  };
}

function createTransport(opts: SimulationOptions, timeoutMs: number, onConnectionLost: () => void): Transport {
  return opts.protocol === 'http'
    ? createHttpTransport({ baseUrl: opts.intakeHttpUrl, timeoutMs, otaPollMs: (opts.ota?.pollSeconds ?? 5) * 1000 })
    : createMqttTransport({ url: opts.mqttUrl, onConnectionLost });
}

type Times = { provisionMs: number; connectMs: number; sendMs: number; connected: number };

function finalStats(counters: RunCounters, times: Times, aborted: boolean, ota?: OtaCounts): SimulationStats {
  return {
    ...(ota ? { ota } : {}),
    devices: counters.devices,
    connected: times.connected,
    sent: counters.sent,
    acknowledged: counters.acknowledged,
    failed: counters.failed,
    failures: { ...counters.failures },
    points: counters.points,
    dataPoints: counters.dataPoints,
    latency: counters.latency,
    provisionMs: times.provisionMs,
    connectMs: times.connectMs,
    sendMs: times.sendMs,
    aborted,
  };
}

/** A simulation running in the background; see `startSimulation`. */
export interface SimulationHandle {
  /**
   * Resolves with the fleet once devices are connected and, with OTA, have announced their
   * firmware and listen for assignments (telemetry starts right after). Rejects when the run
   * fails or ends before that.
   */
  ready: Promise<Fleet>;
  /** Resolves with the statistics when the run ends (its duration, `stop()`, or `hooks.signal`). */
  done: Promise<SimulationStats>;
  /** Every device now: firmware, connection, latest OTA assignment. Empty before `ready`. */
  devices(): SimulatedDeviceView[];
  /** One device by name (`sim-00001`), or undefined. */
  device(name: string): SimulatedDeviceView | undefined;
  /** OTA outcome counts now; undefined without OTA or before `ready`. */
  ota(): OtaCounts | undefined;
  /** Stops the run as Ctrl+C does (messages in flight settle, OTA work is abandoned) and resolves with its statistics. */
  stop(): Promise<SimulationStats>;
}

/**
 * Starts `runSimulation` in the background for tests and tools that drive a platform while
 * devices run: leave `durationSeconds` undefined to run until `stop()`. The same options and
 * hooks as `runSimulation`; `hooks.signal` also stops it.
 */
export function startSimulation(opts: SimulationOptions, hooks: SimulationHooks = {}): SimulationHandle {
  const controller = new AbortController();
  const signal = hooks.signal ? AbortSignal.any([hooks.signal, controller.signal]) : controller.signal;
  let view: RunView | undefined;
  let resolveReady!: (fleet: Fleet) => void;
  let rejectReady!: (error: unknown) => void;
  const ready = new Promise<Fleet>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // A caller that only awaits `done` must not get an unhandled rejection from `ready`.
  ready.catch(() => undefined);
  const done = runSimulation(opts, {
    ...hooks,
    signal,
    onStarted: (v) => {
      view = v;
      resolveReady(v.fleet);
      hooks.onStarted?.(v);
    },
  });
  done.then(() => rejectReady(new Error('The simulation ended before its devices started')), rejectReady);
  return {
    ready,
    done,
    devices: () => view?.devices() ?? [],
    device: (name) => view?.devices().find((d) => d.name === name),
    ota: () => view?.ota(),
    stop() {
      controller.abort();
      return done;
    },
  };
}
