/// <reference path="./chdb-connection.d.ts" />
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient, drainStream, type ClickHouseClient, type ClickHouseClientConfigOptions } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { z, type ZodType } from 'zod';

/** Where ClickHouse is: a server over HTTP (`url`) or embedded chDB under `dataDir`. */
export interface ClickHouseConnectionOptions {
  /** HTTP(S) URL of a ClickHouse server, e.g. http://127.0.0.1:8123. Wins over `dataDir`. */
  url?: string;
  username?: string;
  password?: string;
  /** Embedded mode: chDB keeps its data in `${dataDir}/clickhouse`; default `.ump`. */
  dataDir?: string;
}

/**
 * Opens one @clickhouse/client: over HTTP when `url` is set, else on an in-process chDB
 * session, so every query and insert runs the same client code and SQL on both. chDB binds
 * one data directory per process: a second client on another directory throws while the
 * first is open (close it first); clients on the same directory share its data.
 */
export function openClickHouse(opts: ClickHouseConnectionOptions): { client: ClickHouseClient; location: string } {
  // The client's own console logging would duplicate errors the store already throws.
  const log = { level: ClickHouseLogLevel.OFF };
  if (opts.url) {
    const client = createClient({ url: opts.url, username: opts.username, password: opts.password, log });
    const url = new URL(opts.url);
    return { client, location: `ClickHouse at ${url.protocol}//${url.host}` };
  }
  const path = resolve(join(opts.dataDir ?? '.ump', 'clickhouse'));
  mkdirSync(path, { recursive: true });
  // chdb types its connection against @clickhouse/client-common, whose settings type has
  // drifted from the copy inside @clickhouse/client 1.23; the runtime contract is the same.
  const connection = createChdbConnection({ path }) as unknown as NonNullable<ClickHouseClientConfigOptions['connection']>;
  return { client: createClient({ connection: oneAtATime(connection, path), log }), location: `embedded ClickHouse (chDB) in ${path}` };
}

type Connection = NonNullable<ClickHouseClientConfigOptions['connection']>;
const statements = new Set(['ping', 'query', 'exec', 'command', 'insert']);
// The last statement queued per chDB directory, across every client of this process.
const queues = new Map<string, Promise<unknown>>();

/**
 * chDB runs one statement at a time, but each statement waiting for its turn holds one of
 * the four threads of Node's libuv pool, which WebCrypto (the gateway's request
 * signatures), fs and DNS need too: four statements in flight stalled a 0.5 ms signature for
 * the length of a query. Queued here instead, in call order, they hold at most one thread.
 */
function oneAtATime(connection: Connection, path: string): Connection {
  const run = (call: () => Promise<unknown>) => {
    const turn = (queues.get(path) ?? Promise.resolve()).then(call, call);
    queues.set(path, turn.catch(() => undefined));
    return turn;
  };
  return new Proxy(connection, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      const bound = value.bind(target) as (...args: unknown[]) => Promise<unknown>;
      return statements.has(String(name)) ? (...args: unknown[]) => run(() => bound(...args)) : bound;
    },
  });
}

/** 64-bit integers arrive quoted over HTTP (JSON has no int64) but as numbers from chDB. */
export const int64 = z.union([z.number().int(), z.string().regex(/^-?\d+$/).transform(Number)]);

/**
 * Runs a SELECT and parses every row with `row`: a ZodError (not a cast) when the server
 * answers something unexpected. `sql` must start with its name comment and bind every
 * value through `params` (`{name:Type}` placeholders).
 */
export async function selectRows<T>(client: ClickHouseClient, sql: string, params: Record<string, unknown>, row: ZodType<T>): Promise<T[]> {
  const result = await client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
  return z.array(row).parse(await result.json());
}

/**
 * Runs an `INSERT … FORMAT JSONEachRow` with the rows as its body. Through `exec` rather than
 * `insert` so the statement keeps its name comment and its SETTINGS clause: per-statement
 * settings, where `clickhouse_settings` would become a sticky session `SET` on chDB.
 */
export async function insertJsonRows(client: ClickHouseClient, sql: string, rows: readonly object[]): Promise<void> {
  await insertJsonLines(client, sql, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
}

/** {@link insertJsonRows} for a body already written as JSON lines, each ending in '\n'; '' inserts nothing. */
export async function insertJsonLines(client: ClickHouseClient, sql: string, body: string): Promise<void> {
  if (body === '') return;
  const result = await client.exec({ query: sql, values: Readable.from([body]) });
  // Over HTTP the socket returns to the pool only once the response is read.
  await drainStream(result.stream);
}
