import { cacheContract } from './cache.contract';
import { createCache } from './create-cache';
import { createMemoryCache, createMemoryCacheHub } from './memory-cache';
import { eventually } from '../testing/eventually';

// One hub stands in for one Redis server: every cache the contract makes shares it.
const hub = createMemoryCacheHub({ sweepIntervalMs: 50 });
afterAll(() => hub.close());

cacheContract('memory', async (options) => createMemoryCache({ hub, keyPrefix: 'contract:', ...options }));

describe('memory cache', () => {
  it('isolates key prefixes on one hub, for keys and channels', async () => {
    const a = createMemoryCache({ hub, keyPrefix: 'tenant-a:' });
    const b = createMemoryCache({ hub, keyPrefix: 'tenant-b:' });
    const heardByB: string[] = [];
    const heardByA: string[] = [];
    await b.subscribe('events', (m) => void heardByB.push(m));
    await a.subscribe('events', (m) => void heardByA.push(m));
    await a.set('k', 'a-value');
    expect(await b.get('k')).toBeNull();
    await a.publish('events', 'from a');
    await eventually(() => heardByA.length === 1);
    expect(heardByB).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it('sweeps expired keys that are never read again', async () => {
    let now = 1_000;
    const clockHub = createMemoryCacheHub({ sweepIntervalMs: 10, now: () => now });
    const cache = createMemoryCache({ hub: clockHub, keyPrefix: '' });
    await cache.set('k', 'v', { ttlMs: 5 });
    expect(clockHub.size()).toBe(1);
    now += 10;
    await eventually(() => clockHub.size() === 0);
    await cache.close();
    clockHub.close();
  });

  it('is what createCache returns without a redisUrl', async () => {
    const cache = createCache({ redisUrl: '', memoryHub: hub, keyPrefix: 'factory:' });
    await cache.set('k', 'v');
    expect(hub.get('factory:k')).toBe('v');
    await cache.close();
  });
});
