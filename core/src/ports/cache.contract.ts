import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { eventually, sleep } from '../testing/eventually';
import type { Cache, CacheErrorContext, CacheErrorReporter } from './cache';

/** What the contract may ask of a cache factory: an `onError` to observe reported failures. */
export interface ContractCacheOptions {
  onError?: CacheErrorReporter;
}

/**
 * The behaviour every {@link Cache} adapter must share. `makeCache` is called several times
 * per test; all caches it returns must behave like instances of one deployment: same key
 * prefix, same keyspace, same pub/sub (same Redis, or one shared memory hub). Tests use
 * random key and channel names, so the backing store may be shared across tests.
 */
export function cacheContract(name: string, makeCache: (options?: ContractCacheOptions) => Promise<Cache>): void {
  describe(`Cache contract: ${name}`, () => {
    const opened: Cache[] = [];
    let errors: Array<{ error: unknown; context: CacheErrorContext }>;
    const make = async () => {
      const cache = await makeCache({ onError: (error, context) => errors.push({ error, context }) });
      opened.push(cache);
      return cache;
    };
    let cache: Cache;
    let id: string;
    const key = (suffix: string) => `contract:${id}:${suffix}`;
    const within = { timeoutMs: 3_000 };

    beforeEach(async () => {
      errors = [];
      id = randomUUID();
      cache = await make();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((c) => c.close()));
    });

    it('gets null for a missing key, then what was set, then what overwrote it', async () => {
      expect(await cache.get(key('k'))).toBeNull();
      await cache.set(key('k'), 'one');
      expect(await cache.get(key('k'))).toBe('one');
      await cache.set(key('k'), 'two');
      expect(await cache.get(key('k'))).toBe('two');
    });

    it('expires a value after its TTL', async () => {
      await cache.set(key('ttl'), 'soon gone', { ttlMs: 60 });
      expect(await cache.get(key('ttl'))).toBe('soon gone');
      await eventually(async () => (await cache.get(key('ttl'))) === null, { ...within, what: 'expiry' });
    });

    it('clears the TTL when a key is set again without one', async () => {
      await cache.set(key('k'), 'short', { ttlMs: 40 });
      await cache.set(key('k'), 'forever');
      await sleep(120);
      expect(await cache.get(key('k'))).toBe('forever');
    });

    it('rejects TTLs that are not positive', async () => {
      for (const ttlMs of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(cache.set(key('bad'), 'v', { ttlMs })).rejects.toThrow(RangeError);
      }
    });

    it('deletes keys and counts the ones that existed', async () => {
      await cache.set(key('a'), '1');
      await cache.set(key('b'), '2');
      expect(await cache.del(key('a'), key('b'), key('missing'))).toBe(2);
      expect(await cache.get(key('a'))).toBeNull();
      expect(await cache.del()).toBe(0);
    });

    describe('JSON', () => {
      const Session = z.object({ userId: z.string(), scopes: z.array(z.string()) });

      it('round-trips a value through setJson/getJson', async () => {
        await cache.setJson(key('s'), { userId: 'u1', scopes: ['read'] });
        expect(await cache.getJson(key('s'), Session)).toEqual({ userId: 'u1', scopes: ['read'] });
        expect(await cache.getJson(key('missing'), Session)).toBeNull();
      });

      it('treats a value failing the schema as a miss, deletes it and reports it', async () => {
        await cache.setJson(key('old'), { user: 'u1' });
        await cache.set(key('garbage'), '{not json');
        expect(await cache.getJson(key('old'), Session)).toBeNull();
        expect(await cache.getJson(key('garbage'), Session)).toBeNull();
        expect(await cache.get(key('old'))).toBeNull();
        expect(await cache.get(key('garbage'))).toBeNull();
        expect(errors.map((e) => e.context)).toEqual([
          { op: 'getJson', key: key('old') },
          { op: 'getJson', key: key('garbage') },
        ]);
      });

      it('rejects values that are not JSON', async () => {
        await expect(cache.setJson(key('u'), undefined)).rejects.toThrow(TypeError);
      });
    });

    describe('incrWindow', () => {
      it('counts 100 concurrent increments exactly once each', async () => {
        const counts = await Promise.all(Array.from({ length: 100 }, () => cache.incrWindow(key('rl'), 10_000)));
        expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
        expect(await cache.get(key('rl'))).toBe('100');
      });

      it('starts again from 1 once the window has passed', async () => {
        expect(await cache.incrWindow(key('rl'), 80)).toBe(1);
        expect(await cache.incrWindow(key('rl'), 80)).toBe(2);
        await eventually(async () => (await cache.get(key('rl'))) === null, { ...within, what: 'window end' });
        expect(await cache.incrWindow(key('rl'), 80)).toBe(1);
      });

      it('rejects a key holding a non-integer and a non-positive window', async () => {
        await cache.set(key('text'), 'abc');
        await expect(cache.incrWindow(key('text'), 1_000)).rejects.toThrow(/not an integer/);
        await expect(cache.incrWindow(key('n'), 0)).rejects.toThrow(RangeError);
      });
    });

    describe('pub/sub', () => {
      it('delivers asynchronously and in publish order, one async handler call at a time', async () => {
        const received: string[] = [];
        const channels = new Set<string>();
        let running = 0;
        let maxRunning = 0;
        await cache.subscribe(key('ch'), async (message, channel) => {
          channels.add(channel);
          maxRunning = Math.max(maxRunning, ++running);
          await sleep(message.endsWith('0') ? 5 : 0);
          received.push(message);
          running--;
        });
        const sent = Array.from({ length: 50 }, (_, i) => `m${i}`);
        const first = cache.publish(key('ch'), sent[0]!);
        expect(received).toEqual([]); // never inside the publisher's call stack
        await Promise.all([first, ...sent.slice(1).map((m) => cache.publish(key('ch'), m))]);
        await eventually(() => received.length === sent.length, { ...within, what: 'all messages' });
        expect(received).toEqual(sent);
        expect(maxRunning).toBe(1);
        expect([...channels]).toEqual([key('ch')]); // the bare name, without the key prefix
      });

      it('stops delivering after unsubscribe while other subscribers keep receiving', async () => {
        const gone: string[] = [];
        const kept: string[] = [];
        const unsubscribe = await cache.subscribe(key('ch'), (m) => void gone.push(m));
        await cache.subscribe(key('ch'), (m) => void kept.push(m));
        await cache.publish(key('ch'), 'before');
        await eventually(() => gone.length === 1 && kept.length === 1, within);
        await unsubscribe();
        await unsubscribe(); // idempotent
        await cache.publish(key('ch'), 'after');
        await eventually(() => kept.length === 2, within);
        expect(gone).toEqual(['before']);
      });

      it('keeps channels apart', async () => {
        const a: string[] = [];
        const b: string[] = [];
        await cache.subscribe(key('a'), (m) => void a.push(m));
        await cache.subscribe(key('b'), (m) => void b.push(m));
        await cache.publish(key('a'), 'for a');
        await cache.publish(key('b'), 'for b');
        await eventually(() => a.length === 1 && b.length === 1, within);
        expect([a, b]).toEqual([['for a'], ['for b']]);
      });

      it('reports handler errors to onError and keeps the subscription alive', async () => {
        const received: string[] = [];
        await cache.subscribe(key('ch'), async (m) => {
          if (m === 'sync') throw new Error('sync boom');
          if (m === 'async') return Promise.reject(new Error('async boom'));
          received.push(m);
        });
        for (const m of ['sync', 'async', 'fine']) await cache.publish(key('ch'), m);
        await eventually(() => received.length === 1, within);
        expect(errors.map((e) => [e.context, (e.error as Error).message])).toEqual([
          [{ op: 'handler', channel: key('ch') }, 'sync boom'],
          [{ op: 'handler', channel: key('ch') }, 'async boom'],
        ]);
      });

      it('shares keys and messages between instances of one deployment', async () => {
        const other = await make();
        const received: string[] = [];
        await other.subscribe(key('invalidate'), (m) => void received.push(m));
        await cache.set(key('shared'), 'v');
        expect(await other.get(key('shared'))).toBe('v');
        await cache.publish(key('invalidate'), 'api-key:123');
        await eventually(() => received.length === 1, within);
        expect(received).toEqual(['api-key:123']);
      });
    });

    describe('close', () => {
      it('is idempotent, rejects later calls and silences its subscriptions', async () => {
        const other = await make();
        const silenced: string[] = [];
        const sentinel: string[] = [];
        await cache.subscribe(key('ch'), (m) => void silenced.push(m));
        await other.subscribe(key('ch'), (m) => void sentinel.push(m));
        await cache.close();
        await cache.close();
        await expect(cache.get(key('k'))).rejects.toThrow(/closed/);
        await expect(cache.publish(key('ch'), 'x')).rejects.toThrow(/closed/);
        await expect(cache.subscribe(key('ch'), () => undefined)).rejects.toThrow(/closed/);
        await other.publish(key('ch'), 'after close');
        await eventually(() => sentinel.length === 1, within);
        expect(silenced).toEqual([]);
      });
    });
  });
}
