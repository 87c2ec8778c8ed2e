import type { ZodType } from 'zod';
import type { CacheErrorContext, CacheErrorReporter, CacheSetOptions, MessageHandler } from './cache';

// Helpers shared by the cache adapters so both enforce identical argument rules and JSON
// semantics; the contract suite relies on them behaving the same.

/** Default reporter: writes to stderr, because losing handler errors silently hides bugs. */
export const consoleCacheErrorReporter: CacheErrorReporter = (error, context) => {
  console.error('[ump cache]', context, error);
};

/** Calls `report` and swallows anything it throws: error reporting must never crash callers. */
export function safeReport(report: CacheErrorReporter, error: unknown, context: CacheErrorContext): void {
  try {
    report(error, context);
  } catch {
    // A broken reporter has nowhere left to report to.
  }
}

/** Validates a TTL and rounds it up to whole milliseconds (Redis PX takes integers). */
export function normalizeTtl(options: CacheSetOptions | undefined): number | undefined {
  if (options?.ttlMs === undefined) return undefined;
  return positiveMs(options.ttlMs, 'ttlMs');
}

/** Rejects zero, negative and non-finite durations, which would otherwise mean "forever" or "now". */
export function positiveMs(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive finite number of milliseconds, got ${value}`);
  }
  return Math.ceil(value);
}

/** JSON-encodes for setJson; JSON.stringify(undefined) yields no string, which is a caller bug. */
export function encodeJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (typeof text !== 'string') throw new TypeError('setJson value is not JSON-serializable');
  return text;
}

/** Parses and validates a stored JSON string; never throws. */
export function decodeJson<T>(raw: string, schema: ZodType<T>): { ok: true; value: T } | { ok: false; error: Error } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    return { ok: false, error: new Error('cached value is not valid JSON', { cause: error }) };
  }
  const result = schema.safeParse(parsed);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: new Error(`cached value failed its schema: ${result.error.message}`) };
}

/** A subscription's delivery queue; see {@link createDelivery}. */
export interface Delivery {
  /** Queues a message; it runs after every earlier one has settled. */
  push(message: string): void;
  /** Stops delivery: queued and future messages are dropped. */
  cancel(): void;
}

/**
 * Runs `handler` for each pushed message strictly one after another, always asynchronously
 * (never inside the publisher's call stack), reporting throws and rejections to `report`.
 */
export function createDelivery(
  channel: string,
  handler: MessageHandler,
  report: CacheErrorReporter,
): Delivery {
  let tail: Promise<void> = Promise.resolve();
  let active = true;
  return {
    push(message) {
      tail = tail
        .then(() => (active ? handler(message, channel) : undefined))
        .catch((error: unknown) => safeReport(report, error, { op: 'handler', channel }));
    },
    cancel() {
      active = false;
    },
  };
}

/** The error every method of a closed cache rejects with. */
export function closedError(): Error {
  return new Error('cache is closed');
}
