import { deviceEventsTopic, type Cache, type DeviceEvent, type EventBus, type Logger } from '@ump/core';
import { deviceLastSeenKey, LAST_SEEN_TTL_MS, parseLastSeen } from '@ump/core';
import type { DeviceCredential } from './credentials';
import type { IntakeMetrics } from './metrics';

/** Tracks when devices were last heard from; see {@link createConnectivityTracker}. */
export interface ConnectivityTracker {
  /** Records a message from `device` received at `at`. Never throws, never waits. */
  seen(device: DeviceCredential, at: number): void;
  /** Looks for devices silent past their timeout once; the timer calls it every sweepIntervalMs. */
  sweep(): Promise<void>;
  start(): void;
  /** Stops the timer and waits for work in progress (a sweep, pending writes and events). */
  stop(): Promise<void>;
}

/** Options of {@link createConnectivityTracker}. */
export interface ConnectivityOptions {
  cache: Cache;
  bus: EventBus;
  logger: Logger;
  metrics: IntakeMetrics;
  sweepIntervalMs: number;
  /** Clock; default Date.now. */
  now?: () => number;
}

interface Online {
  tenantId: string;
  timeoutMs: number;
  lastSeenAt: number;
  /** The last value written to the shared last-seen key. */
  writtenAt: number;
}

// The shared last-seen key is written at most this often per device.
const WRITE_EVERY_MS = 1_000;

/**
 * Connectivity as seen by this intake instance. Only devices currently online are held in
 * memory; the shared cache key (deviceLastSeenKey) carries the last-seen time between
 * instances and restarts, and is what the device subgraph reads.
 *
 * - `online` is published on a device's first message when the shared key shows it silent
 *   past its timeout (or never seen); an intake restart therefore does not re-announce
 *   devices that were online.
 * - `offline` is published by the sweep for a device silent past its profile's
 *   inactivityTimeoutSeconds, after re-reading the shared key, so that with several
 *   instances a device still sending to another instance is not declared offline.
 *
 * Multi-instance caveat: each instance announces what it sees, so a device that switches
 * instances can produce a duplicate `online`, and a device whose last instance stopped is
 * never declared offline (nobody tracks it any more). One intake, or sticky MQTT
 * connections, keep the events exact. Cache and bus failures are logged and counted,
 * never thrown: connectivity must not stand in the way of telemetry.
 */
export function createConnectivityTracker(options: ConnectivityOptions): ConnectivityTracker {
  const { cache, bus, logger, metrics, sweepIntervalMs, now = Date.now } = options;
  const online = new Map<string, Online>();
  const pending = new Set<Promise<unknown>>();
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> | undefined;

  const track = (work: Promise<unknown>) => {
    const tracked = work.catch((error: unknown) => logger.warn({ err: error }, 'connectivity update failed'));
    pending.add(tracked);
    void tracked.finally(() => pending.delete(tracked));
  };

  const publish = async (type: DeviceEvent['type'], deviceId: string, state: Online) => {
    const event: DeviceEvent = { type, tenantId: state.tenantId, deviceId, lastSeenAt: state.lastSeenAt, at: now() };
    try {
      await bus.publish(deviceEventsTopic.name, [{ key: deviceId, value: event }]);
      metrics.deviceEvents.inc({ type, outcome: 'published' });
    } catch (error) {
      metrics.deviceEvents.inc({ type, outcome: 'failed' });
      logger.warn({ err: error, deviceId, type }, 'could not publish a connectivity event');
    }
  };

  const write = (deviceId: string, at: number) => cache.set(deviceLastSeenKey(deviceId), String(at), { ttlMs: LAST_SEEN_TTL_MS });

  const firstSight = async (deviceId: string, state: Online) => {
    // Read before writing: the previous value decides whether this is a transition.
    const previous = parseLastSeen(await cache.get(deviceLastSeenKey(deviceId)));
    await write(deviceId, state.writtenAt);
    if (previous === null || state.writtenAt - previous > state.timeoutMs) await publish('online', deviceId, state);
  };

  const expire = async (deviceId: string, state: Online) => {
    const shared = parseLastSeen(await cache.get(deviceLastSeenKey(deviceId)));
    if (shared !== null && shared > state.lastSeenAt) state.lastSeenAt = shared;
    // A message may have arrived while the cache answered.
    if (online.get(deviceId) !== state || now() - state.lastSeenAt <= state.timeoutMs) return;
    online.delete(deviceId);
    if (state.lastSeenAt > state.writtenAt && (shared === null || state.lastSeenAt > shared)) await write(deviceId, state.lastSeenAt);
    await publish('offline', deviceId, state);
  };

  const sweep = () => {
    // One sweep at a time: a slow cache must not pile sweeps up.
    sweeping ??= (async () => {
      const at = now();
      const silent = [...online].filter(([, state]) => at - state.lastSeenAt > state.timeoutMs);
      await Promise.all(silent.map(([id, state]) => expire(id, state).catch((error: unknown) => logger.warn({ err: error }, 'offline check failed'))));
    })().finally(() => {
      sweeping = undefined;
    });
    return sweeping;
  };

  return {
    seen(device, at) {
      const state = online.get(device.deviceId);
      const timeoutMs = device.inactivityTimeoutSeconds * 1000;
      if (!state) {
        // Held as online at once, so concurrent messages of the same device announce it once.
        const fresh: Online = { tenantId: device.tenantId, timeoutMs, lastSeenAt: at, writtenAt: at };
        online.set(device.deviceId, fresh);
        track(firstSight(device.deviceId, fresh));
        return;
      }
      state.lastSeenAt = Math.max(state.lastSeenAt, at);
      state.timeoutMs = timeoutMs;
      if (at - state.writtenAt >= WRITE_EVERY_MS) {
        state.writtenAt = at;
        track(write(device.deviceId, at));
      }
    },
    sweep,
    start() {
      if (timer) return;
      timer = setInterval(() => void sweep(), sweepIntervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await sweeping;
      await Promise.allSettled([...pending]);
    },
  };
}
