import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { servicesRequired } from '../testing/services';
import { createClickHouseStore } from './clickhouse-store';

/*
 * @clickhouse/client over HTTP against a real ClickHouse server (scripts/clickhouse-local.sh
 * starts Debian's, which is 18.16). The transport tests run on any version. The store needs
 * features 18.16 lacks; each is listed below with the release that brought it, and a test
 * is skipped only when the server is older than that — so on a current server (docker:
 * clickhouse/clickhouse-server) everything runs, the whole store included.
 */
const url = process.env.TEST_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';

/** Store features the server must have, with the first release that has each and a probe. */
const storeFeatures = [
  { name: 'LowCardinality columns without the experimental flag', since: '19.3', sql: 'CREATE TABLE {db}.lc (k LowCardinality(String)) ENGINE = MergeTree ORDER BY k' },
  { name: 'toStartOfInterval', since: '19.3', sql: "SELECT toStartOfInterval(now(), INTERVAL 15 SECOND)" },
  { name: 'TTL expressions', since: '19.6', sql: 'CREATE TABLE {db}.ttl (d DateTime, r UInt16) ENGINE = MergeTree ORDER BY d TTL d + toIntervalDay(r)' },
  { name: 'SimpleAggregateFunction columns', since: '19.8', sql: 'CREATE TABLE {db}.saf (k UInt8, v SimpleAggregateFunction(sum, UInt64)) ENGINE = AggregatingMergeTree ORDER BY k' },
  { name: 'query parameters ({name:Type})', since: '19.11', sql: 'SELECT {n:UInt8}', params: { n: 1 } },
  { name: 'DateTime64', since: '20.1', sql: "SELECT toDateTime64('2024-01-01 00:00:00.123', 3, 'UTC')" },
  { name: 'non_replicated_deduplication_window', since: '21.3', sql: 'CREATE TABLE {db}.dedup (k UInt8) ENGINE = MergeTree ORDER BY k SETTINGS non_replicated_deduplication_window = 10' },
  { name: 'INSERT … SETTINGS insert_deduplication_token', since: '22.3', sql: "INSERT INTO {db}.plain SETTINGS insert_deduplication_token = 't' VALUES (1)" },
];

/**
 * The server's version, asked synchronously (a child process) because Jest decides what to
 * skip while collecting tests, before any async hook runs. Undefined when nothing answers.
 */
function serverVersion(): string | undefined {
  const probe = `fetch(${JSON.stringify(`${url}/?query=SELECT%20version()`)}, { signal: AbortSignal.timeout(3000) })
    .then((r) => (r.ok ? r.text() : '')).then((t) => process.stdout.write(t.trim()), () => {})`;
  const out = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 10_000 }).stdout?.trim();
  return out && /^\d+\.\d+/.test(out) ? out : undefined;
}

const atLeast = (version: string, since: string) => {
  const [a, b] = [version, since].map((v) => v.split('.').map(Number));
  for (let i = 0; i < b!.length; i++) if ((a![i] ?? 0) !== b![i]) return (a![i] ?? 0) > b![i]!;
  return true;
};

const version = serverVersion();
if (!version && servicesRequired()) {
  throw new Error(`UMP_REQUIRE_SERVICES=1 but no ClickHouse answers at ${url} (start one: scripts/clickhouse-local.sh)`);
}
if (!version) console.warn(`\nClickHouse HTTP suites skipped: nothing answers at ${url} (scripts/clickhouse-local.sh starts one)\n`);
const lacking = version ? storeFeatures.filter((f) => !atLeast(version, f.since)) : [];

(version ? describe : describe.skip)(`ClickHouse server over HTTP (${version ?? 'absent'})`, () => {
  const db = `ump_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let client: ClickHouseClient;
  beforeAll(async () => {
    client = createClient({ url });
    await client.command({ query: `/* test.create_database */ CREATE DATABASE ${db}` });
    await client.command({ query: `/* test.create_plain */ CREATE TABLE ${db}.plain (k UInt8) ENGINE = MergeTree ORDER BY k` });
  });
  afterAll(async () => {
    await client?.command({ query: `/* test.drop_database */ DROP DATABASE IF EXISTS ${db}` });
    await client?.close();
  });

  it('connects, creates a table, inserts JSONEachRow and selects it back', async () => {
    expect(await client.ping()).toEqual({ success: true });
    await client.command({ query: `/* test.smoke_create */ CREATE TABLE ${db}.smoke (id UInt32, name String, at DateTime) ENGINE = MergeTree ORDER BY id` });
    await client.insert({ table: `${db}.smoke`, format: 'JSONEachRow', values: [{ id: 2, name: 'b', at: '2024-01-01 00:00:02' }, { id: 1, name: 'a', at: '2024-01-01 00:00:01' }] });
    const rows = await client.query({ query: `/* test.smoke_select */ SELECT id, name, toUnixTimestamp(at) AS at FROM ${db}.smoke ORDER BY id`, format: 'JSONEachRow' });
    expect(z.array(z.object({ id: z.number(), name: z.string(), at: z.number() })).parse(await rows.json())).toEqual([
      { id: 1, name: 'a', at: 1_704_067_201 },
      { id: 2, name: 'b', at: 1_704_067_202 },
    ]);
  });

  for (const feature of storeFeatures) {
    const run = lacking.includes(feature) ? it.skip : it;
    run(`has store feature: ${feature.name} (ClickHouse ${feature.since}+)`, async () => {
      const sql = `/* test.feature */ ${feature.sql.replaceAll('{db}', db)}`;
      await client.command({ query: sql, query_params: 'params' in feature ? feature.params : undefined });
    });
  }

  it('lacks exactly the features skipped above (the documented list is true)', async () => {
    for (const feature of lacking) {
      const sql = `/* test.feature */ ${feature.sql.replaceAll('{db}', db)}`;
      await expect(client.command({ query: sql, query_params: 'params' in feature ? feature.params : undefined })).rejects.toThrow();
    }
  });

  const storeTitle = lacking.length === 0 ? 'runs the telemetry store' : `runs the telemetry store (skipped: lacks ${lacking.map((f) => f.name).join(', ')})`;
  (lacking.length === 0 ? it : it.skip)(storeTitle, async () => {
    const store = createClickHouseStore({ url, database: `${db}_store` });
    try {
      await store.migrate();
      await store.migrate();
      const [tenantId, deviceId] = [randomUUID(), randomUUID()];
      const ts = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000);
      const points = [1, 2, 3].map((v, i) => ({ messageId: `m${i}`, tenantId, deviceId, ts: new Date(ts.getTime() + i * 1_000), values: { temp: v, state: 'ok' } }));
      await store.insert(points, { dedupToken: 'server-batch' });
      await store.insert(points, { dedupToken: 'server-batch' });
      const q = { tenantId, deviceId, key: 'temp', from: ts, to: new Date(ts.getTime() + 3_600_000), agg: 'SUM' as const };
      for (const bucketSeconds of [1, 60, 3600]) {
        const rows = await store.series({ ...q, bucketSeconds });
        expect(rows.reduce((sum, r) => sum + (r.value ?? 0), 0)).toBe(6);
      }
      expect(await store.latest({ tenantId, deviceId })).toEqual([
        { key: 'state', value: 'ok', ts: new Date(ts.getTime() + 2_000) },
        { key: 'temp', value: 3, ts: new Date(ts.getTime() + 2_000) },
      ]);
      expect(await store.stats({ tenantId, from: q.from, to: q.to })).toEqual({ messages: 3, dataPoints: 6, activeDevices: 1 });
      // The alert history shares the database; a redelivered event counts once.
      const alert = { tenantId, deviceId, alertId: randomUUID(), ruleId: randomUUID(), severity: 'MAJOR' as const, flapping: false, raisedAt: ts.getTime() };
      const acked = { ...alert, eventId: 'server-ack', type: 'acknowledged' as const, status: 'ACTIVE_ACK' as const, at: ts.getTime() + 5_000 };
      await store.alertHistory.insert([{ ...alert, eventId: 'server-raise', type: 'raised', status: 'ACTIVE_UNACK', at: ts.getTime() }, acked]);
      await store.alertHistory.insert([acked]);
      expect(await store.alertHistory.stats({ tenantId, from: q.from, to: q.to })).toEqual({
        raised: 1, bySeverity: [{ severity: 'MAJOR', count: 1 }], byRule: [{ ruleId: alert.ruleId, count: 1 }], mttaSeconds: 5, mttrSeconds: null, open: 1,
      });
    } finally {
      await client.command({ query: `/* test.drop_store_database */ DROP DATABASE IF EXISTS ${db}_store` });
      await store.close();
    }
  });
});
