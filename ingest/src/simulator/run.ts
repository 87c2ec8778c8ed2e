import type { SimulationOptions } from './args';
import { mapConcurrent } from './concurrency';
import { createGraphQLClient } from './graphql';
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
  /** A fleet to use instead of provisioning one through the API. */
  fleet?: Fleet;
  /** A transport to use instead of the one `opts.protocol` names (tests inject one). */
  transport?: Transport;
  progressIntervalMs?: number;
}

/**
 * Runs a fleet of simulated devices: provisions them (unless `hooks.fleet` is given),
 * connects them with bounded concurrency (a device that cannot connect is counted under its
 * reason and its messages fail as `not-connected`), then sends `rate` messages per second per
 * device, evenly paced, for `durationSeconds` or until `hooks.signal` aborts. Each message
 * waits at most `ackTimeoutMs` to be accepted. Resolves with the run's statistics once every
 * message has settled and every link is closed; rejects only when provisioning fails, or with
 * a RangeError for devices < 1, rate ≤ 0 or batch < 1.
 */
export async function runSimulation(opts: SimulationOptions, hooks: SimulationHooks = {}): Promise<SimulationStats> {
  // The CLI validates its flags; a library caller gets the same guard against a pacer spinning on NaN.
  if (!(opts.rate > 0 && Number.isFinite(opts.rate)) || !(opts.batch >= 1) || !(opts.devices >= 1)) {
    throw new RangeError(`runSimulation needs devices ≥ 1, rate > 0 and batch ≥ 1 (got ${opts.devices}, ${opts.rate}, ${opts.batch})`);
  }
  const external = hooks.signal ?? new AbortController().signal;
  const ackTimeoutMs = opts.ackTimeoutMs ?? 10_000;
  const counters = new RunCounters(opts.devices);
  let states: DeviceState[] = [];
  let transport: Transport | undefined;
  const connected = () => states.reduce((n, s) => n + (s.link?.isConnected() ? 1 : 0), 0);
  const report = () => hooks.onProgress?.(counters.snapshot(connected()));
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
    states = fleet.devices.map((device, i) => ({
      device,
      link: links[i],
      signal: createDeviceSignal({ seed: device.index, keys: opts.keys }),
      inFlight: 0,
    }));
    times.connected = links.filter(Boolean).length;
    times.connectMs = performance.now() - counters.startedAt - times.provisionMs;

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
    const stats = finalStats(counters, times, external.aborted);
    counters.phase = 'done';
    report();
    return stats;
  } finally {
    clearInterval(ticker);
    await Promise.allSettled(states.map((s) => s.link?.close()));
    await transport?.close();
  }
}

function createTransport(opts: SimulationOptions, timeoutMs: number, onConnectionLost: () => void): Transport {
  return opts.protocol === 'http'
    ? createHttpTransport({ baseUrl: opts.intakeHttpUrl, timeoutMs })
    : createMqttTransport({ url: opts.mqttUrl, onConnectionLost });
}

type Times = { provisionMs: number; connectMs: number; sendMs: number; connected: number };

function finalStats(counters: RunCounters, times: Times, aborted: boolean): SimulationStats {
  return {
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
