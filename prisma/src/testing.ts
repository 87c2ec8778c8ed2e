// Fresh, migrated databases for tests: a throwaway database on the test Postgres server,
// or an in-memory PGlite.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { testServiceUrls } from '@ump/core/src/testing/services';
import { createDatabase, type Database, type DatabaseOptions } from './client';

// Only databases with this prefix are ever dropped, so a wrong URL cannot drop real data.
const TEST_DATABASE_PREFIX = 'ump_test_';

/** Options of the test database helpers. */
export interface TestDatabaseOptions {
  /** Server to create the database on; default testServiceUrls.postgres (TEST_DATABASE_URL). */
  serverUrl?: string;
  /** Skip migrating, e.g. to test the migrator itself; default false. */
  skipMigrate?: boolean;
  /** Passed on to createDatabase. */
  log?: DatabaseOptions['log'];
  /** Passed on to createDatabase; see createQueryCounter. */
  onQuery?: DatabaseOptions['onQuery'];
}

/** A throwaway database; call `drop()` when done (e.g. in afterAll). */
export interface TestDatabase {
  /** postgresql:// URL of the new database. */
  url: string;
  db: Database;
  /** Closes `db` and drops the database. */
  drop(): Promise<void>;
}

/** An in-memory database; `drop()` closes it. */
export interface EmbeddedTestDatabase {
  db: Database;
  drop(): Promise<void>;
}

/**
 * Creates a database named `ump_test_<random>` on the test Postgres server, opens it with
 * createDatabase and applies the migrations. When anything after CREATE DATABASE fails the
 * database is dropped again before the error propagates.
 *
 *   const test = await createTestDatabase();
 *   afterAll(() => test.drop());
 *   await test.db.prisma.tenant.create({ data: { name: 'acme' } });
 */
export async function createTestDatabase(opts: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const serverUrl = opts.serverUrl ?? testServiceUrls.postgres;
  const name = `${TEST_DATABASE_PREFIX}${randomBytes(8).toString('hex')}`;
  await withAdminClient(serverUrl, (admin) => admin.query(`CREATE DATABASE ${quoteIdentifier(name)}`));
  const url = databaseUrl(serverUrl, name);
  let db: Database | undefined;
  try {
    db = await createDatabase({ databaseUrl: url, log: opts.log, onQuery: opts.onQuery });
    if (!opts.skipMigrate) await db.migrate();
  } catch (error) {
    // Clean up, but report the failure that got us here rather than a cleanup error.
    await db?.close().catch(() => undefined);
    await dropTestDatabase(url, serverUrl).catch(() => undefined);
    throw error;
  }
  const opened = db;
  return {
    url,
    db: opened,
    async drop() {
      await opened.close();
      await dropTestDatabase(url, serverUrl);
    },
  };
}

/**
 * Same as createTestDatabase with an in-memory PGlite: no server needed, so usable in unit
 * tests. Each call is a new, independent database.
 */
export async function createEmbeddedTestDatabase(
  opts: Omit<TestDatabaseOptions, 'serverUrl'> = {},
): Promise<EmbeddedTestDatabase> {
  const db = await createDatabase({ log: opts.log, onQuery: opts.onQuery });
  try {
    if (!opts.skipMigrate) await db.migrate();
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  return { db, drop: () => db.close() };
}

/**
 * Drops the database `url` names after terminating its connections. Connects for that to
 * `serverUrl` (default testServiceUrls.postgres), another database on the same server, since
 * a database cannot drop itself. Refuses, before connecting, any database whose name does
 * not start with `ump_test_`. Dropping a database that no longer exists succeeds.
 */
export async function dropTestDatabase(url: string, serverUrl: string = testServiceUrls.postgres): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name.startsWith(TEST_DATABASE_PREFIX)) {
    throw new Error(`Refusing to drop database "${name}": only ${TEST_DATABASE_PREFIX}* databases are test databases`);
  }
  await withAdminClient(serverUrl, async (admin) => {
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    );
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)}`);
  });
}

async function withAdminClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
