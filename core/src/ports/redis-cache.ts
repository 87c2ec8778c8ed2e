import Redis from 'ioredis';
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

// INCR and the expiry must be one atomic step: with two round trips a crash (or a lost
// reply) between them leaves a counter that never expires and rate-limits a key forever.
// Setting the expiry whenever none exists (rather than only when the count is 1) heals such
// a key even if one was created by some other path.
const INCR_WINDOW = `local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

// Deleting a bad JSON value must not delete a good value another instance wrote meanwhile.
const DEL_IF_EQUALS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Options of {@link createRedisCache}. */
export interface RedisCacheOptions {
  /** redis:// or rediss:// URL. */
  url: string;
  /** Namespace for keys and channels (applied by this adapter, not ioredis); default 'ump:'. */
  keyPrefix?: string;
  /** Receives handler errors, bad cached JSON and connection loss; default logs to stderr. */
  onError?: CacheErrorReporter;
  /**
   * Reconnection attempts a command waits through before rejecting; default 1, so an
   * unreachable Redis fails the first command within a fraction of a second instead of
   * queueing it forever.
   */
  maxRetriesPerRequest?: number;
  /** TCP connect timeout; default 2000 ms. */
  connectTimeoutMs?: number;
}

interface ChannelEntry {
  deliveries: Set<Delivery>;
  /** The SUBSCRIBE acknowledgement, shared by every local handler of the channel. */
  ready: Promise<unknown>;
}

/**
 * {@link Cache} on Redis via ioredis. Connects eagerly; commands go over one connection and
 * pub/sub over a second one, created on the first subscribe, because a connection in
 * subscriber mode cannot run other commands. Every Redis failure rejects with an Error
 * naming the operation, the server and the last connection error (the ioredis error is its
 * `cause`). Connection loss is also reported once per outage to `onError`; ioredis keeps
 * reconnecting in the background and re-subscribes channels when it is back.
 */
export function createRedisCache(options: RedisCacheOptions): Cache {
  const { url, keyPrefix = 'ump:', onError = consoleCacheErrorReporter } = options;
  const parsed = new URL(url);
  const target = `${parsed.hostname}:${parsed.port || '6379'}`; // never echo credentials
  const commands = new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: options.maxRetriesPerRequest ?? 1,
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    // ioredis arms this timer even when disconnecting a socket that already closed (Redis
    // unreachable) and never clears it, holding the process open that long after close().
    // We only disconnect() connections that are not ready, where nothing is left to flush.
    disconnectTimeout: 100,
  });
  let subscriber: Redis | undefined;
  const channels = new Map<string, ChannelEntry>();
  let lastConnectionError: string | undefined;
  let closed = false;
  const k = (name: string) => keyPrefix + name;

  const watch = (client: Redis, op: string) => {
    let healthy = true;
    client.on('error', (error: Error) => {
      lastConnectionError = error.message;
      if (healthy) safeReport(onError, error, { op });
      healthy = false;
    });
    client.on('ready', () => {
      healthy = true;
    });
  };
  watch(commands, 'connection');

  const run = async <T>(op: string, command: (client: Redis) => Promise<T>, client: Redis = commands): Promise<T> => {
    if (closed) throw closedError();
    try {
      return await command(client);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      const connection = client.status === 'ready' ? '' : ` (connection ${client.status}; last error: ${lastConnectionError ?? 'none'})`;
      throw new Error(`redis cache ${op} failed against ${target}${connection}: ${detail}`, { cause: error });
    }
  };

  const getSubscriber = (): Redis => {
    if (subscriber) return subscriber;
    const created = commands.duplicate();
    watch(created, 'subscriber');
    created.on('message', (channel: string, message: string) => {
      for (const delivery of channels.get(channel)?.deliveries ?? []) delivery.push(message);
    });
    subscriber = created;
    return created;
  };

  const shutdown = async (client: Redis) => {
    // QUIT lets queued replies drain; a client that is not connected would wait for a
    // reconnect that may never come, so it is cut instead.
    if (client.status === 'ready') {
      try {
        await client.quit();
        return;
      } catch {
        // fall through to a hard disconnect
      }
    }
    client.disconnect();
  };

  return {
    get: (key) => run('get', (c) => c.get(k(key))),
    async set(key: string, value: string, setOptions?: CacheSetOptions) {
      const ttl = normalizeTtl(setOptions);
      await run('set', (c) => (ttl === undefined ? c.set(k(key), value) : c.set(k(key), value, 'PX', ttl)));
    },
    async del(...keys) {
      if (keys.length === 0) return 0; // DEL without arguments is a Redis syntax error
      return run('del', (c) => c.del(...keys.map(k)));
    },
    async getJson<T>(key: string, schema: ZodType<T>) {
      const raw = await run('getJson', (c) => c.get(k(key)));
      if (raw === null) return null;
      const decoded = decodeJson(raw, schema);
      if (decoded.ok) return decoded.value;
      safeReport(onError, decoded.error, { op: 'getJson', key });
      await run('getJson', (c) => c.eval(DEL_IF_EQUALS, 1, k(key), raw));
      return null;
    },
    async setJson(key, value, setOptions) {
      const text = encodeJson(value);
      const ttl = normalizeTtl(setOptions);
      await run('setJson', (c) => (ttl === undefined ? c.set(k(key), text) : c.set(k(key), text, 'PX', ttl)));
    },
    async incrWindow(key, windowMs) {
      const ms = positiveMs(windowMs, 'windowMs');
      return Number(await run('incrWindow', (c) => c.eval(INCR_WINDOW, 1, k(key), String(ms))));
    },
    async publish(channel, message) {
      await run('publish', (c) => c.publish(k(channel), message));
    },
    async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
      if (closed) throw closedError();
      const full = k(channel);
      const client = getSubscriber();
      let entry = channels.get(full);
      if (!entry) {
        entry = { deliveries: new Set(), ready: run('subscribe', (c) => c.subscribe(full), client) };
        channels.set(full, entry);
      }
      const delivery = createDelivery(channel, handler, onError);
      const owner = entry;
      owner.deliveries.add(delivery);
      // Commands on one connection are processed in order, so an UNSUBSCRIBE racing a later
      // SUBSCRIBE of the same channel always ends subscribed, and vice versa.
      const release = async () => {
        delivery.cancel();
        owner.deliveries.delete(delivery);
        if (owner.deliveries.size > 0 || channels.get(full) !== owner) return;
        channels.delete(full);
        if (!closed) await run('unsubscribe', (c) => c.unsubscribe(full), client);
      };
      try {
        await owner.ready;
      } catch (error) {
        delivery.cancel();
        owner.deliveries.delete(delivery);
        if (owner.deliveries.size === 0 && channels.get(full) === owner) channels.delete(full);
        throw error;
      }
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await release();
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const entry of channels.values()) for (const delivery of entry.deliveries) delivery.cancel();
      channels.clear();
      await Promise.all([commands, subscriber].filter((c): c is Redis => c !== undefined).map(shutdown));
    },
  };
}
