import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { int64, openClickHouse, selectRows } from './clickhouse-client';
import { createClickHouseStore, type ClickHouseTelemetryStore } from './clickhouse-store';
import type { TelemetryPoint } from './store';

// Writes on embedded chDB (ClickHouse 26.7): deduplication of the table AND its rollups,
// retention, stats, the writer's journal.
const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
const base = Math.floor(Date.now() / DAY) * DAY - 3 * DAY;
const at = (ms: number) => new Date(base + ms);

let dir: string;
let store: ClickHouseTelemetryStore;
let admin: ClickHouseClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ump-ch-writes-'));
  store = createClickHouseStore({ dataDir: dir, database: 'ump_test' });
  await store.migrate();
  admin = openClickHouse({ dataDir: dir }).client;
});
afterAll(async () => {
  await admin?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const point = (tenantId: string, deviceId: string, ms: number, values: TelemetryPoint['values']): TelemetryPoint => ({
  messageId: randomUUID(), tenantId, deviceId, ts: at(ms), values,
});

/** What every table holds for one device, read behind the store's back. */
async function countsOf(deviceId: string) {
  const row = z.object({ raw: int64, m1: int64, h1: int64, hours_points: int64, hours_messages: int64 });
  const [counts] = await selectRows(admin, `/* test.counts */
SELECT (SELECT count() FROM ump_test.telemetry_points WHERE device_id = {d:UUID}) AS raw,
  (SELECT sum(count_all) FROM ump_test.telemetry_rollup_1m WHERE device_id = {d:UUID}) AS m1,
  (SELECT sum(count_all) FROM ump_test.telemetry_rollup_1h WHERE device_id = {d:UUID}) AS h1,
  (SELECT sum(data_points) FROM ump_test.telemetry_device_hours WHERE device_id = {d:UUID}) AS hours_points,
  (SELECT sum(messages) FROM ump_test.telemetry_device_hours WHERE device_id = {d:UUID}) AS hours_messages`, { d: deviceId }, row);
  return counts;
}

describe('insert deduplication', () => {
  it('writes a batch retried with the same token once: raw rows and every rollup', async () => {
    const [tenant, device] = [randomUUID(), randomUUID()];
    // Two months apart: the block splits into two parts (one per partition), each deduplicated.
    const batch = [point(tenant, device, 0, { temp: 1, hum: 40 }), point(tenant, device, 40 * DAY, { temp: 2 }), point(tenant, device, MINUTE, { temp: 3 })];
    await store.insert(batch, { dedupToken: 'batch-1' });
    const once = await countsOf(device);
    expect(once).toEqual({ raw: 4, m1: 4, h1: 4, hours_points: 4, hours_messages: 3 });

    await store.insert(batch, { dedupToken: 'batch-1' });
    expect(await countsOf(device)).toEqual(once);
    // The dedup log outlives merges and a restart (it is kept on disk per table).
    for (const table of ['telemetry_points', 'telemetry_rollup_1m', 'telemetry_rollup_1h', 'telemetry_device_hours', 'telemetry_latest']) {
      await admin.command({ query: `/* test.optimize */ OPTIMIZE TABLE ump_test.${table} FINAL` });
    }
    await store.close();
    store = createClickHouseStore({ dataDir: dir, database: 'ump_test' });
    await store.insert(batch, { dedupToken: 'batch-1' });
    expect(await countsOf(device)).toEqual(once);
    expect(await store.latest({ tenantId: tenant, deviceId: device })).toEqual([
      { key: 'hum', value: 40, ts: at(0) },
      { key: 'temp', value: 2, ts: at(40 * DAY) },
    ]);
  });

  it('writes the same points again under another token (the token is the identity)', async () => {
    const [tenant, device] = [randomUUID(), randomUUID()];
    const batch = [point(tenant, device, 0, { temp: 1 })];
    await store.insert(batch, { dedupToken: 'a' });
    await store.insert(batch, { dedupToken: 'b' });
    expect(await countsOf(device)).toEqual({ raw: 2, m1: 2, h1: 2, hours_points: 2, hours_messages: 2 });
  });

  it('refuses points it cannot keep instead of losing them silently', async () => {
    const [tenant, device] = [randomUUID(), randomUUID()];
    await expect(store.insert([{ ...point(tenant, device, 0, { temp: 1 }), retentionDays: 100_000 }])).rejects.toThrow(RangeError);
    await expect(store.insert([{ ...point(tenant, device, 0, { temp: 1 }), ts: new Date(Date.UTC(2200, 0, 1)) }])).rejects.toThrow(RangeError);
    await expect(store.insert([point('not-a-uuid', device, 0, { temp: 1 })])).rejects.toThrow(RangeError);
  });
});

describe('retention', () => {
  it('is a TTL on the raw table and on every rollup, from the retention carried on each row', async () => {
    const ddl = async (table: string) => {
      const [row] = await selectRows(admin, `/* test.ddl */ SHOW CREATE TABLE ump_test.${table}`, {}, z.object({ statement: z.string() }));
      return row!.statement;
    };
    expect(await ddl('telemetry_points')).toContain('TTL toDateTime(ts) + toIntervalDay(retention_days)');
    for (const table of ['telemetry_rollup_1m', 'telemetry_rollup_1h', 'telemetry_device_hours']) {
      expect(await ddl(table)).toMatch(/TTL \w+ \+ toIntervalDay\(retention_days\)/);
    }
    expect(await ddl('telemetry_points')).toMatch(/PARTITION BY toYYYYMM\(ts\)\s+ORDER BY \(tenant_id, device_id, key, ts\)/);
  });

  it('stores the plan retention of a point, or the default', async () => {
    const [tenant, device] = [randomUUID(), randomUUID()];
    await store.insert([{ ...point(tenant, device, 0, { a: 1 }), retentionDays: 30 }, point(tenant, device, 1, { b: 1 })]);
    const rows = await selectRows(admin, '/* test.retention */ SELECT key, retention_days FROM ump_test.telemetry_points WHERE device_id = {d:UUID} ORDER BY key', { d: device }, z.object({ key: z.string(), retention_days: int64 }));
    expect(rows).toEqual([{ key: 'a', retention_days: 30 }, { key: 'b', retention_days: 365 }]);
  });
});

describe('stats', () => {
  const [tenant, d1, d2] = [randomUUID(), randomUUID(), randomUUID()];
  beforeAll(() =>
    store.insert([
      point(tenant, d1, 10 * MINUTE, { a: 1, b: 2 }),
      point(tenant, d1, 70 * MINUTE, { a: 1, b: 2 }),
      point(tenant, d2, 100 * MINUTE, { a: 1, b: 2 }),
      point(tenant, d1, 130 * MINUTE, { a: 1, b: 2 }),
      point(tenant, d1, 170 * MINUTE, { a: 1, b: 2 }),
    ]),
  );
  const stats = (fromMin: number, toMin: number) => store.stats({ tenantId: tenant, from: at(fromMin * MINUTE), to: at(toMin * MINUTE) });

  it('counts messages, data points and active devices in [from, to), whole hours and ragged edges alike', async () => {
    expect(await stats(0, 180)).toEqual({ messages: 5, dataPoints: 10, activeDevices: 2 }); // whole hours only
    expect(await stats(5, 175)).toEqual({ messages: 5, dataPoints: 10, activeDevices: 2 }); // hours + both edges
    expect(await stats(11, 131)).toEqual({ messages: 3, dataPoints: 6, activeDevices: 2 });
    expect(await stats(101, 200)).toEqual({ messages: 2, dataPoints: 4, activeDevices: 1 });
    expect(await stats(10, 11)).toEqual({ messages: 1, dataPoints: 2, activeDevices: 1 }); // inside one hour
    expect(await stats(11, 70)).toEqual({ messages: 0, dataPoints: 0, activeDevices: 0 }); // `to` is exclusive
  });
});

describe('journal', () => {
  it('records intents with their exact points, folds in the ack and finds entries by offset overlap', async () => {
    const consumer = `g/telemetry.v1/${randomUUID()}`;
    const points = [{ ...point(randomUUID(), randomUUID(), 5, { temp: 1.5, on: true, s: 'x' }), retentionDays: 7, receivedAt: at(6) }];
    await store.journal.record(consumer, { firstOffset: 10n, lastOffset: 19n, token: 't1', points });
    await store.journal.record(consumer, { firstOffset: 20n, lastOffset: 29n, token: 't2', points: [] });
    await store.journal.record(consumer, { firstOffset: 10n, lastOffset: 19n, token: 't1', points }); // a retried record
    expect(await store.journal.overlapping(consumer, 15n, 25n)).toEqual([
      { firstOffset: 10n, lastOffset: 19n, token: 't1', acked: false, points },
      { firstOffset: 20n, lastOffset: 29n, token: 't2', acked: false, points: [] },
    ]);
    await store.journal.ack(consumer, { firstOffset: 10n, lastOffset: 19n, token: 't1' });
    expect(await store.journal.overlapping(consumer, 0n, 10n)).toEqual([{ firstOffset: 10n, lastOffset: 19n, token: 't1', acked: true, points: [] }]);
    expect(await store.journal.overlapping(consumer, 30n, 2n ** 63n)).toEqual([]);
    expect(await store.journal.overlapping(`${consumer}-other`, 0n, 100n)).toEqual([]);
  });
});
