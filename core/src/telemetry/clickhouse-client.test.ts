import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { openClickHouse } from './clickhouse-client';

// Embedded chDB: statements wait for their turn in JavaScript, not on libuv pool threads.
let dir: string;
let client: ClickHouseClient;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ump-ch-client-'));
  client = openClickHouse({ dataDir: dir }).client;
});
afterAll(async () => {
  await client?.close();
  rmSync(dir, { recursive: true, force: true });
});

const slowSum = () => client.query({ query: 'SELECT sum(number) AS s FROM numbers(1000000000)', format: 'JSONEachRow' }).then((r) => r.json());

it('leaves the libuv pool free for crypto while statements queue', async () => {
  const key = await webcrypto.subtle.importKey('raw', new Uint8Array(32), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const done: string[] = [];
  // More statements than the pool has threads (4): unqueued, they would hold all of them.
  const queries = Array.from({ length: 6 }, (_, i) => slowSum().then(() => void done.push(`query ${i}`)));
  await new Promise((resolve) => setTimeout(resolve, 10));
  await webcrypto.subtle.sign('HMAC', key, new Uint8Array(64)).then(() => void done.push('signature'));
  await Promise.all(queries);
  expect(done[0]).toBe('signature');
  expect(done.slice(1)).toEqual(['query 0', 'query 1', 'query 2', 'query 3', 'query 4', 'query 5']);
}, 60_000);

it('goes on after a failed statement', async () => {
  await expect(client.query({ query: 'SELECT * FROM no_such_table', format: 'JSONEachRow' })).rejects.toThrow(/no_such_table/);
  expect(await (await client.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' })).json()).toEqual([{ one: 1 }]);
});
