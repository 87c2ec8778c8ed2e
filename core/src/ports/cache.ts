import type { ZodType } from 'zod';

/** Options of {@link Cache.set}. */
export interface CacheSetOptions {
  /**
   * Time to live in milliseconds; fractional values are rounded up. Omitted means the
   * value never expires. Zero, negative or non-finite values reject with a RangeError.
   */
  ttlMs?: number;
}

/**
 * Receives one pub/sub message. May be async: the next message of the same subscription is
 * delivered only after the returned promise settles, which is what keeps per-channel order.
 */
export type MessageHandler = (message: string, channel: string) => void | Promise<void>;

/** Removes one subscription; resolves once no further message will reach its handler. */
export type Unsubscribe = () => Promise<void>;

/** Where a cache reports failures that have no caller to reject (handler throws, bad data). */
export interface CacheErrorContext {
  /** The operation that failed: 'handler', 'getJson', 'connection', 'subscriber'. */
  op: string;
  /** Unprefixed key or channel concerned, when there is one. */
  key?: string;
  channel?: string;
}

/** Callback for {@link CacheErrorContext}. Must not throw; exceptions from it are swallowed. */
export type CacheErrorReporter = (error: unknown, context: CacheErrorContext) => void;

/**
 * Key/value cache plus fire-and-forget pub/sub, shaped after Redis.
 *
 * Keys and channels are namespaced by the adapter's `keyPrefix`: callers pass bare names and
 * instances with different prefixes never see each other's keys or messages. Every method
 * rejects once {@link Cache.close} has been called. Pub/sub is at-most-once: a message
 * published while nobody is subscribed is lost, so it suits invalidation and fan-out, not
 * work distribution (use the event bus for that).
 */
export interface Cache {
  /** The stored string, or null when missing or expired. */
  get(key: string): Promise<string | null>;
  /** Stores `value`, replacing any previous value and TTL. */
  set(key: string, value: string, options?: CacheSetOptions): Promise<void>;
  /** Deletes the keys; resolves with how many existed. No keys is a no-op resolving 0. */
  del(...keys: string[]): Promise<number>;
  /**
   * Reads a JSON value and validates it with `schema`. A value that is not JSON or fails the
   * schema (say, written by an older deploy) is reported to `onError`, deleted (only if it
   * is still the same bad value) and treated as a miss: resolves null.
   */
  getJson<T>(key: string, schema: ZodType<T>): Promise<T | null>;
  /** Stores `JSON.stringify(value)`; rejects with a TypeError if that is not JSON (undefined). */
  setJson(key: string, value: unknown, options?: CacheSetOptions): Promise<void>;
  /**
   * Atomically increments the counter at `key` and resolves with the new count. The first
   * increment starts a window of `windowMs` after which the counter disappears (fixed
   * window, anchored at the first hit). Rejects if the key holds a non-integer value or
   * `windowMs` is not positive.
   */
  incrWindow(key: string, windowMs: number): Promise<number>;
  /** Publishes to every current subscriber of `channel` on any instance sharing the prefix. */
  publish(channel: string, message: string): Promise<void>;
  /**
   * Subscribes `handler` to `channel`; resolves once the subscription is active, i.e. a
   * publish made after it resolves is delivered. Messages arrive asynchronously, in publish
   * order per channel. Handler errors go to `onError` and never stop the subscription.
   */
  subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe>;
  /** Drops subscriptions and connections. Idempotent; later calls to other methods reject. */
  close(): Promise<void>;
}
