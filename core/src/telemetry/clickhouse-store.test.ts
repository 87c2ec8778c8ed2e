import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { openClickHouse } from './clickhouse-client';
import { seriesSource, type SeriesSource } from './clickhouse-queries';
import { createClickHouseStore, type ClickHouseTelemetryStore } from './clickhouse-store';
import { aggregations, type Aggregation, type TelemetryPoint } from './store';

// The store on embedded chDB: the same SQL that runs against a ClickHouse server.
const DAY = 86_400_000;
// Three days ago at midnight UTC: inside the default retention whenever the test runs.
const base = Math.floor(Date.now() / DAY) * DAY - 3 * DAY;
const at = (ms: number) => new Date(base + ms);

let dir: string;
let store: ClickHouseTelemetryStore;
let admin: ClickHouseClient; // a second client on the same chDB directory, for checks behind the store's back

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ump-ch-store-'));
  store = createClickHouseStore({ dataDir: dir, database: 'ump_test' });
  await store.migrate();
  await store.migrate(); // idempotent
  admin = openClickHouse({ dataDir: dir }).client;
});
afterAll(async () => {
  await admin?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
const point = (tenantId: string, deviceId: string, ms: number, values: TelemetryPoint['values']): TelemetryPoint => ({
  messageId: `m-${++seq}`, tenantId, deviceId, ts: at(ms), values,
});
const query = (tenantId: string, deviceId: string, agg: Aggregation, bucketSeconds: number, key = 'temp') => ({
  tenantId, deviceId, key, agg, bucketSeconds, from: at(0), to: at(DAY),
});
const sources: SeriesSource[] = ['raw', 'rollup_1m', 'rollup_1h'];

describe('series', () => {
  const [tenant, device] = [randomUUID(), randomUUID()];
  // The readings 1..20 within one minute, written out of time order, so LAST (the reading
  // with the latest timestamp) differs from the largest and from the last written.
  const slots = [3, 17, 0, 9, 12, 5, 19, 1, 14, 7, 11, 2, 16, 4, 18, 6, 13, 8, 15, 10]; // × 3 s after base
  const readings = [5, 9, 1, 20, 13, 2, 17, 11, 4, 7, 15, 3, 19, 8, 12, 6, 16, 10, 18, 14];
  beforeAll(() => store.insert(slots.map((slot, i) => point(tenant, device, slot * 3_000, { temp: readings[i]! })), { dedupToken: 'series' }));

  const expected: Record<Aggregation, number> = {
    AVG: 10.5, MIN: 1, MAX: 20, SUM: 210, COUNT: 20,
    LAST: readings[slots.indexOf(19)]!, // 17
    P95: 19.05, // linear interpolation at (20 - 1) × 0.95 = 18.05 → 19 + 0.05 × (20 - 19)
  };

  it.each(sources)('answers every aggregation with known numbers from %s', async (source) => {
    for (const agg of aggregations) {
      const rows = await store.seriesFrom(source, query(tenant, device, agg, 3600));
      expect({ agg, rows }).toEqual({ agg, rows: [{ ts: at(0), value: expect.closeTo(expected[agg], 9) }] });
    }
  });

  it('picks the 1 h rollup for multiples of an hour, the 1 min rollup for minutes, else raw', () => {
    expect([1, 59, 90, 60, 300, 3540, 3600, 7200, 86_400].map(seriesSource)).toEqual([
      'raw', 'raw', 'raw', 'rollup_1m', 'rollup_1m', 'rollup_1m', 'rollup_1h', 'rollup_1h', 'rollup_1h',
    ]);
  });

  it('aligns buckets to the epoch and returns every bucket the range touches, whole', async () => {
    const [from, to] = [base + 10_000, base + 20_000];
    const expectedRows = [];
    for (let start = Math.floor(from / 7_000) * 7_000; start < to; start += 7_000) {
      const count = slots.filter((slot) => base + slot * 3_000 >= start && base + slot * 3_000 < start + 7_000).length;
      if (count > 0) expectedRows.push({ ts: new Date(start), value: count });
    }
    expect(expectedRows.length).toBeGreaterThanOrEqual(2);
    expect(await store.series({ ...query(tenant, device, 'COUNT', 7), from: new Date(from), to: new Date(to) })).toEqual(expectedRows);
    // A day bucket starts at midnight UTC.
    expect(await store.series(query(tenant, device, 'COUNT', 86_400))).toEqual([{ ts: at(0), value: 20 }]);
  });

  it('rejects buckets outside 1 s..1 d and empty ranges', async () => {
    await expect(store.series(query(tenant, device, 'AVG', 0))).rejects.toThrow(RangeError);
    await expect(store.series(query(tenant, device, 'AVG', 86_401))).rejects.toThrow(RangeError);
    await expect(store.series({ ...query(tenant, device, 'AVG', 60), to: at(0) })).rejects.toThrow(RangeError);
  });
});

describe('rollups', () => {
  const [tenant, device] = [randomUUID(), randomUUID()];
  // Deterministic pseudo-random readings over three hours (a linear congruential generator).
  let state = 42;
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  beforeAll(async () => {
    const points = Array.from({ length: 600 }, () => point(tenant, device, Math.floor(next() * 3 * 3_600_000), { temp: Math.round(next() * 10_000) / 100 }));
    await store.insert(points.slice(0, 300), { dedupToken: 'rollups-1' });
    await store.insert(points.slice(300), { dedupToken: 'rollups-2' });
  });

  it('answer exactly what the raw points answer, for every aggregation and bucket', async () => {
    for (const bucket of [60, 300, 900, 3600, 7200, 86_400]) {
      for (const agg of aggregations) {
        const q = query(tenant, device, agg, bucket);
        const [fromRollup, fromRaw] = await Promise.all([store.series(q), store.seriesFrom('raw', q)]);
        expect(fromRollup.length).toBeGreaterThan(0);
        expect({ bucket, agg, rows: fromRollup }).toEqual({ bucket, agg, rows: fromRaw.map((r) => ({ ts: r.ts, value: expect.closeTo(r.value!, 6) })) });
      }
    }
  });

  it('are what series reads for minute and hour buckets (they outlive deleted raw rows)', async () => {
    const before = await store.series(query(tenant, device, 'SUM', 300));
    // Materialized views only see inserts: deleting raw rows leaves the rollups intact.
    await admin.command({
      query: '/* test.delete_raw */ ALTER TABLE ump_test.telemetry_points DELETE WHERE device_id = {device:UUID}',
      query_params: { device }, clickhouse_settings: { mutations_sync: '2' },
    });
    expect(await store.seriesFrom('raw', query(tenant, device, 'SUM', 300))).toEqual([]);
    expect(await store.series(query(tenant, device, 'SUM', 30))).toEqual([]);
    // Same rollup rows; a background merge in between may add the float partial sums in
    // another order, so compare to 6 decimals, as the rollup-versus-raw test does.
    expect(await store.series(query(tenant, device, 'SUM', 300))).toEqual(before.map((r) => ({ ts: r.ts, value: expect.closeTo(r.value!, 6) })));
    expect((await store.series(query(tenant, device, 'COUNT', 3600))).reduce((n, r) => n + r.value!, 0)).toBe(600);
  });
});

describe('latest and tenant isolation', () => {
  const [tenantA, tenantB, device] = [randomUUID(), randomUUID(), randomUUID()];
  beforeAll(async () => {
    await store.insert([
      point(tenantA, device, 1_000, { state: 'ok', on: true, temp: 21.5 }),
      point(tenantA, device, 2_000, { state: 'alarm', on: false }),
    ]);
  });

  it('keeps string and boolean values and returns the last value of every key', async () => {
    expect(await store.latest({ tenantId: tenantA, deviceId: device })).toEqual([
      { key: 'on', value: false, ts: at(2_000) },
      { key: 'state', value: 'alarm', ts: at(2_000) },
      { key: 'temp', value: 21.5, ts: at(1_000) },
    ]);
    // Non-numeric readings count, but have no average.
    expect(await store.series(query(tenantA, device, 'COUNT', 60, 'state'))).toEqual([{ ts: at(0), value: 2 }]);
    expect(await store.series(query(tenantA, device, 'AVG', 60, 'state'))).toEqual([{ ts: at(0), value: null }]);
  });

  it("gives another tenant nothing, even with the right device id", async () => {
    expect(await store.latest({ tenantId: tenantB, deviceId: device })).toEqual([]);
    for (const source of sources) expect(await store.seriesFrom(source, query(tenantB, device, 'COUNT', 3600, 'state'))).toEqual([]);
    expect(await store.stats({ tenantId: tenantB, from: at(0), to: at(DAY) })).toEqual({ messages: 0, dataPoints: 0, activeDevices: 0 });
    expect((await store.stats({ tenantId: tenantA, from: at(0), to: at(DAY) })).messages).toBe(2);
  });

  it('refuses ids that are not UUIDs', async () => {
    await expect(store.latest({ tenantId: 'acme', deviceId: device })).rejects.toThrow(TypeError);
    await expect(store.stats({ tenantId: "' OR 1=1 --", from: at(0), to: at(1) })).rejects.toThrow(TypeError);
  });
});
