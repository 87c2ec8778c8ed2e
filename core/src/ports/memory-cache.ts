import type { ZodType } from 'zod';
import type { Cache, CacheErrorReporter, CacheSetOptions, MessageHandler, Unsubscribe } from './cache';
import {
  closedError,
  consoleCacheErrorReporter,
  createDelivery,
  decodeJson,
  encodeJson,
  normalizeTtl,
  positiveMs,
  safeReport,
  type Delivery,
} from './cache-support';

/**
 * The in-process stand-in for one Redis server: a keyspace plus pub/sub channels. Several
 * memory caches built on one hub behave like several instances connected to the same Redis,
 * which is what lets tests exercise cross-instance invalidation without a network.
 * Keys and channels here are already prefixed.
 */
export interface MemoryCacheHub {
  /** The live value, or null when missing or expired (expired keys are dropped on read). */
  get(key: string): string | null;
  /** Stores a value; `ttlMs` undefined means no expiry. No validation: the cache does that. */
  set(key: string, value: string, ttlMs: number | undefined): void;
  /** Deletes `key` when present; when `expected` is given, only if it still holds that value. */
  del(key: string, expected?: string): boolean;
  /** INCR plus "expire in windowMs if no TTL yet"; throws on a non-integer value. */
  incrWindow(key: string, windowMs: number): number;
  publish(channel: string, message: string): void;
  /** Keys stored, counting expired ones the sweep has not removed yet. */
  size(): number;
  /** Registers a delivery; returns its removal. */
  subscribe(channel: string, delivery: Delivery): () => void;
  /** Stops the sweep timer and drops all state. Idempotent. */
  close(): void;
}

/** Options of {@link createMemoryCacheHub}. */
export interface MemoryCacheHubOptions {
  /** How often expired keys are swept so unread keys do not pile up; default 1000 ms. */
  sweepIntervalMs?: number;
  /** Clock, injectable for tests; default Date.now. */
  now?: () => number;
}

interface Entry {
  value: string;
  expiresAt: number | undefined;
}

const INTEGER = /^-?\d+$/;

/** Creates a hub. Its sweep timer is unref'd, so a forgotten hub never keeps the process alive. */
export function createMemoryCacheHub({ sweepIntervalMs = 1_000, now = Date.now }: MemoryCacheHubOptions = {}): MemoryCacheHub {
  const entries = new Map<string, Entry>();
  const channels = new Map<string, Set<Delivery>>();
  const expired = (entry: Entry, at: number) => entry.expiresAt !== undefined && entry.expiresAt <= at;
  // Expiry is checked on every read so correctness never depends on the sweep's timing.
  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && expired(entry, now())) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const sweep = setInterval(() => {
    const at = now();
    for (const [key, entry] of entries) if (expired(entry, at)) entries.delete(key);
  }, positiveMs(sweepIntervalMs, 'sweepIntervalMs'));
  sweep.unref();

  return {
    get: (key) => live(key)?.value ?? null,
    set(key, value, ttlMs) {
      entries.set(key, { value, expiresAt: ttlMs === undefined ? undefined : now() + ttlMs });
    },
    del(key, expected) {
      const entry = live(key);
      if (!entry || (expected !== undefined && entry.value !== expected)) return false;
      return entries.delete(key);
    },
    incrWindow(key, windowMs) {
      const entry = live(key);
      if (!entry) {
        entries.set(key, { value: '1', expiresAt: now() + windowMs });
        return 1;
      }
      // Same error text as Redis so callers can treat both adapters alike.
      if (!INTEGER.test(entry.value)) throw new Error('ERR value is not an integer or out of range');
      const count = Number(entry.value) + 1;
      entry.value = String(count);
      entry.expiresAt ??= now() + windowMs;
      return count;
    },
    size: () => entries.size,
    publish(channel, message) {
      for (const delivery of channels.get(channel) ?? []) delivery.push(message);
    },
    subscribe(channel, delivery) {
      const set = channels.get(channel) ?? new Set<Delivery>();
      channels.set(channel, set.add(delivery));
      return () => {
        set.delete(delivery);
        if (set.size === 0 && channels.get(channel) === set) channels.delete(channel);
      };
    },
    close() {
      clearInterval(sweep);
      entries.clear();
      channels.clear();
    },
  };
}

/** Options of {@link createMemoryCache}. */
export interface MemoryCacheOptions {
  /** Shared hub; default a private one, closed together with the cache. */
  hub?: MemoryCacheHub;
  /** Namespace for keys and channels; default 'ump:'. */
  keyPrefix?: string;
  /** Receives handler errors and bad cached JSON; default logs to stderr. */
  onError?: CacheErrorReporter;
}

/**
 * In-process {@link Cache}: for unit tests and single-instance development. Pub/sub handlers
 * run asynchronously (on the microtask queue), never inside `publish`, as with Redis.
 */
export function createMemoryCache({ hub, keyPrefix = 'ump:', onError = consoleCacheErrorReporter }: MemoryCacheOptions = {}): Cache {
  const ownsHub = hub === undefined;
  const store = hub ?? createMemoryCacheHub();
  const subscriptions = new Set<{ delivery: Delivery; remove: () => void }>();
  let closed = false;
  const k = (name: string) => keyPrefix + name;
  // Every operation runs inside an async function so argument errors become rejections.
  const open = () => {
    if (closed) throw closedError();
  };

  return {
    async get(key) {
      open();
      return store.get(k(key));
    },
    async set(key: string, value: string, options?: CacheSetOptions) {
      open();
      store.set(k(key), value, normalizeTtl(options));
    },
    async del(...keys) {
      open();
      return keys.filter((key) => store.del(k(key))).length;
    },
    async getJson<T>(key: string, schema: ZodType<T>) {
      open();
      const raw = store.get(k(key));
      if (raw === null) return null;
      const decoded = decodeJson(raw, schema);
      if (decoded.ok) return decoded.value;
      safeReport(onError, decoded.error, { op: 'getJson', key });
      store.del(k(key), raw);
      return null;
    },
    async setJson(key, value, options) {
      open();
      store.set(k(key), encodeJson(value), normalizeTtl(options));
    },
    async incrWindow(key, windowMs) {
      open();
      return store.incrWindow(k(key), positiveMs(windowMs, 'windowMs'));
    },
    async publish(channel, message) {
      open();
      store.publish(k(channel), message);
    },
    async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
      open();
      const delivery = createDelivery(channel, handler, onError);
      const subscription = { delivery, remove: store.subscribe(k(channel), delivery) };
      subscriptions.add(subscription);
      return async () => {
        delivery.cancel();
        subscription.remove();
        subscriptions.delete(subscription);
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const { delivery, remove } of subscriptions) {
        delivery.cancel();
        remove();
      }
      subscriptions.clear();
      if (ownsHub) store.close();
    },
  };
}
