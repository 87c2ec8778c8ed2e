import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { describeWith, testServiceUrls } from '../testing/services';
import { eventually } from '../testing/eventually';
import { cacheContract } from './cache.contract';
import { createCache } from './create-cache';
import { createRedisCache } from './redis-cache';

// A random prefix per run keeps parallel runs and other suites on the same Redis apart.
const prefix = `test:${randomUUID()}:`;

describeWith('redis')('redis cache', () => {
  afterAll(async () => {
    const admin = new Redis(testServiceUrls.redis);
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  cacheContract('redis', async (options) => createRedisCache({ url: testServiceUrls.redis, keyPrefix: prefix, ...options }));

  it('isolates key prefixes, for keys and channels', async () => {
    const a = createRedisCache({ url: testServiceUrls.redis, keyPrefix: `${prefix}a:` });
    const b = createRedisCache({ url: testServiceUrls.redis, keyPrefix: `${prefix}b:` });
    const heardByA: string[] = [];
    const heardByB: string[] = [];
    await a.subscribe('events', (m) => void heardByA.push(m));
    await b.subscribe('events', (m) => void heardByB.push(m));
    await a.set('k', 'a-value');
    expect(await b.get('k')).toBeNull();
    await a.publish('events', 'from a');
    await eventually(() => heardByA.length === 1);
    expect(heardByB).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it('stores keys under the prefix in Redis itself', async () => {
    const cache = createCache({ redisUrl: testServiceUrls.redis, keyPrefix: prefix });
    const admin = new Redis(testServiceUrls.redis);
    await cache.set('visible', 'v', { ttlMs: 60_000 });
    expect(await admin.get(`${prefix}visible`)).toBe('v');
    expect(await admin.pttl(`${prefix}visible`)).toBeGreaterThan(0);
    await Promise.all([cache.close(), admin.quit()]);
  });
});

describe('redis cache without a server', () => {
  it('fails the first command quickly, naming the server and the cause', async () => {
    const errors: string[] = [];
    const cache = createRedisCache({
      url: 'redis://user:secret@127.0.0.1:1',
      onError: (_error, context) => errors.push(context.op),
    });
    const started = Date.now();
    const failure = await cache.get('k').then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.message).toMatch(/redis cache get failed against 127\.0\.0\.1:1 .*ECONNREFUSED/);
    expect(failure?.message).not.toContain('secret');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(errors).toEqual(['connection']); // reported once per outage, not per retry
    await cache.close();
  });
});
