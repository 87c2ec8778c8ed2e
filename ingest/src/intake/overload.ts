import type { Logger } from '@ump/core';

/** Options of {@link createOverloadGate}. */
export interface OverloadGateOptions {
  /** How many accepted messages wait in this process (EventBus.buffered of telemetry.v1). */
  buffered: () => number;
  /** At or above this many the gate closes. */
  maxBuffered: number;
  /** How often `buffered` is sampled; default 20 ms. */
  checkEveryMs?: number;
  /** Told every sample (for the gauges). */
  onSample?: (sample: { overloaded: boolean; buffered: number }) => void;
  logger: Logger;
}

/** Admission control of the intake, tied to how much the bus holds. */
export interface OverloadGate {
  /** True while closed: HTTP then answers 503. */
  readonly overloaded: boolean;
  /** Undefined while open; else resolves when this waiter's turn comes (or the gate stops). MQTT waits on it. */
  wait(): Promise<void> | undefined;
  start(): void;
  /** Stops sampling and lets every waiter through. Idempotent. */
  stop(): void;
}

/**
 * Closes when the bus holds `maxBuffered` messages nobody has consumed (the writer or the
 * rule worker fell behind). Without it, an intake that accepts faster than its consumers
 * write grows the backlog until the process runs out of memory (in-process bus) or the
 * producer's queue times out (Kafka), and acknowledged messages are lost either way.
 *
 * While closed, waiters are let through in arrival order as the consumers make room: each
 * sample releases as many as the backlog is below `maxBuffered`. So the intake runs at the
 * pace of its consumers instead of stopping and starting in bursts, which would leave the
 * writer starved of the event loop whenever the gate is open. Sampling on a timer keeps the
 * check off the per-message path; a sample period lets at most one period of messages past
 * the mark.
 */
export function createOverloadGate(opts: OverloadGateOptions): OverloadGate {
  const { buffered, maxBuffered, checkEveryMs = 20, onSample, logger } = opts;
  let overloaded = false;
  let since = 0;
  const waiters: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;

  const release = (count: number) => {
    for (const resolve of waiters.splice(0, count)) resolve();
  };

  const check = () => {
    const held = buffered();
    release(Math.max(0, maxBuffered - held));
    const closed = held >= maxBuffered || waiters.length > 0;
    if (closed && !overloaded) {
      since = Date.now();
      logger.warn({ buffered: held, maxBuffered }, 'intake overloaded: consumers are behind; MQTT publishes wait and HTTP answers 503 until they catch up');
    } else if (!closed && overloaded) {
      logger.warn({ buffered: held, overloadedMs: Date.now() - since }, 'intake no longer overloaded');
    }
    overloaded = closed;
    onSample?.({ overloaded, buffered: held });
  };

  return {
    get overloaded() {
      return overloaded;
    },
    wait() {
      if (!overloaded) return undefined;
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
    start() {
      timer ??= setInterval(check, checkEveryMs).unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
      overloaded = false;
      release(waiters.length);
    },
  };
}
