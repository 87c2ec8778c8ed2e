/** Options of `pace`. */
export interface PacerOptions {
  devices: number;
  /** Messages per second per device; may be fractional. */
  rate: number;
  /** Stop scheduling after this long; undefined paces until `signal` aborts. */
  durationMs?: number;
  /** Called for each message that falls due, with the 0-based device and how late it fires (ms). */
  onDue: (device: number, lateMs: number) => void;
  signal: AbortSignal;
  /** Monotonic clock in ms (default performance.now). */
  now?: () => number;
  /** Most messages fired in one turn of the event loop before yielding (default 2,000). */
  maxPerTick?: number;
}

/**
 * Fires messages on one evenly spaced schedule for the whole fleet: message j is due at
 * j / (devices × rate) seconds and belongs to device j mod devices. Every device thus sends
 * exactly every 1/rate seconds, and the devices' start times are spread across the first
 * interval instead of all firing in the same millisecond. The schedule is absolute, so a
 * slow turn of the event loop makes the next turn catch up rather than drifting the rate
 * down (lateness is reported to `onDue`). Resolves when `durationMs` has passed or `signal`
 * aborts.
 */
export function pace(opts: PacerOptions): Promise<void> {
  const { devices, rate, durationMs, onDue, signal, now = () => performance.now(), maxPerTick = 2_000 } = opts;
  const perMs = (devices * rate) / 1000;
  // Messages due strictly before the end; the epsilon keeps 10_000 × 0.0003 from becoming 4.
  const total = durationMs === undefined ? Number.POSITIVE_INFINITY : Math.ceil(durationMs * perMs - 1e-9);
  const start = now();
  let next = 0;

  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    };
    if (signal.aborted) return finish();
    signal.addEventListener('abort', finish);

    const tick = () => {
      const elapsed = now() - start;
      let fired = 0;
      while (next < total && next / perMs <= elapsed && fired < maxPerTick && !signal.aborted) {
        onDue(next % devices, elapsed - next / perMs);
        next += 1;
        fired += 1;
      }
      if (signal.aborted) return;
      if (next >= total) {
        // The last message is out; the run still lasts its full duration.
        timer = setTimeout(finish, Math.max(0, (durationMs ?? 0) - elapsed));
        return;
      }
      const wait = fired >= maxPerTick ? 0 : Math.max(1, Math.ceil(next / perMs - elapsed));
      timer = setTimeout(tick, wait);
    };
    tick();
  });
}
