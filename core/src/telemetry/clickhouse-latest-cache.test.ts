import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryCache } from '../ports/memory-cache';
import type { Cache } from '../ports/cache';
import { createClickHouseStore, type ClickHouseTelemetryStore } from './clickhouse-store';
import type { TelemetryPoint } from './store';

// The store with a latest cache, on embedded chDB: what `Device.latest` reads in both modes.
let dir: string;
let cache: Cache;
let cached: ClickHouseTelemetryStore; // writes through to the cache, reads it first
let plain: ClickHouseTelemetryStore; // ClickHouse only, on the same data

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ump-ch-latest-'));
  cache = createMemoryCache();
  cached = createClickHouseStore({ dataDir: dir, database: 'ump_test', latestCache: cache });
  plain = createClickHouseStore({ dataDir: dir, database: 'ump_test' });
  await cached.migrate();
});
afterAll(async () => {
  await plain?.close();
  await cached?.close();
  await cache?.close();
  rmSync(dir, { recursive: true, force: true });
});

const now = Date.now();
let seq = 0;
const point = (tenantId: string, deviceId: string, ago: number, values: TelemetryPoint['values']): TelemetryPoint => ({
  messageId: `m-${++seq}`, tenantId, deviceId, ts: new Date(now - ago), values,
});

describe('latest values through the cache', () => {
  const [tenant, device] = [randomUUID(), randomUUID()];

  beforeAll(async () => {
    // Written before the cache knew the device (say, before a restart): the first cached
    // insert must bring it along.
    await plain.insert([point(tenant, device, 60_000, { humidity: 40, door: 'open' })]);
    await cached.insert([point(tenant, device, 2_000, { temp: 21.5 }), point(tenant, device, 5_000, { temp: 19, ok: true })]);
    await cached.insert([point(tenant, device, 90_000, { door: 'closed' })]); // late: older than 'open'
  });

  it('answers exactly what ClickHouse answers', async () => {
    const fromClickHouse = await plain.latest({ tenantId: tenant, deviceId: device });
    expect(fromClickHouse.map((v) => v.key)).toEqual(['door', 'humidity', 'ok', 'temp']);
    expect(await cached.latest({ tenantId: tenant, deviceId: device })).toEqual(fromClickHouse);
  });

  it('answers from the cache, without ClickHouse', async () => {
    await plain.insert([point(tenant, device, 1_000, { temp: 99 })]); // behind the cache's back
    expect(await cached.latest({ tenantId: tenant, deviceId: device })).toContainEqual({ key: 'temp', value: 21.5, ts: new Date(now - 2_000) });
  });

  it('gives another tenant nothing, even with the right device id', async () => {
    expect(await cached.latest({ tenantId: randomUUID(), deviceId: device })).toEqual([]);
  });

  it('reads ClickHouse when the cache fails to answer', async () => {
    const broken = createMemoryCache();
    broken.getJson = async () => {
      throw new Error('cache down');
    };
    const store = createClickHouseStore({ dataDir: dir, database: 'ump_test', latestCache: broken });
    try {
      expect(await store.latest({ tenantId: tenant, deviceId: device })).toEqual(await plain.latest({ tenantId: tenant, deviceId: device }));
    } finally {
      await store.close();
    }
  });
});
