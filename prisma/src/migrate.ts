import { randomUUID } from 'node:crypto';
import { checksumMatches, readMigrations, type MigrationFile } from './migrations-folder';
import type { SqlExecutor, SqlQueryable } from './sql-executor';

export { pgExecutor, pgliteExecutor } from './sql-executor';
export type { SqlExecutor, SqlQueryable, SqlRow } from './sql-executor';

// The key `prisma migrate deploy` locks, so this runner and the Prisma CLI exclude each other.
const PRISMA_LOCK_KEY = 72707369;

// Byte for byte the table the schema engine creates, so the Prisma CLI can take over a
// database this runner migrated (and the other way round).
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);`;

/** A row of `_prisma_migrations`. */
export interface MigrationRecord {
  [column: string]: unknown;
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** Folder of `<name>/migration.sql` folders; default this package's prisma/migrations. */
  migrationsDir?: string;
  /** Progress and warnings, one line each; default discards them. */
  log?: (message: string) => void;
  /** How long to wait for another migrator's advisory lock on Postgres; default 10 s, as Prisma. */
  lockTimeoutMs?: number;
}

/**
 * Applies the migrations of the folder that the database has not applied yet, in folder
 * order, each in its own transaction, recording them in `_prisma_migrations` as `prisma
 * migrate deploy` does (so either tool can take over). Resolves to the names it applied;
 * an up-to-date database resolves to [] and is left untouched.
 *
 * On Postgres it holds Prisma's advisory lock while it works, so concurrent migrators
 * (other instances, the Prisma CLI) run one after the other. It refuses to run, changing
 * nothing, when: the schema has tables but no `_prisma_migrations` (baseline it first);
 * a failed migration is recorded; or an applied migration's migration.sql changed since.
 * A migration that fails is rolled back, recorded as failed (with the error in `logs`)
 * and rethrown; later migrations are not attempted.
 *
 * Migration scripts must be able to run inside a transaction (no `CREATE INDEX
 * CONCURRENTLY`, no BEGIN/COMMIT of their own). Rows of migrations missing from the folder
 * are ignored, as migrate deploy does, with a warning through `log`.
 */
export async function migrate(executor: SqlExecutor, opts: MigrateOptions = {}): Promise<string[]> {
  const log = opts.log ?? (() => undefined);
  const migrations = await readMigrations(opts.migrationsDir);
  return withMigrationLock(executor, opts.lockTimeoutMs ?? 10_000, async () => {
    await ensureMigrationsTable(executor);
    const records = await executor.query<MigrationRecord>('SELECT * FROM _prisma_migrations ORDER BY started_at ASC');
    refuseFailed(records);
    const applied = records.filter((record) => record.finished_at !== null && record.rolled_back_at === null);
    refuseModified(applied, migrations);
    const known = new Set(migrations.map((migration) => migration.name));
    for (const record of applied) {
      if (!known.has(record.migration_name)) {
        log(`Migration ${record.migration_name} is applied but not in the migrations folder`);
      }
    }
    const done = new Set(applied.map((record) => record.migration_name));
    const names: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.name)) continue;
      log(`Applying migration ${migration.name}`);
      await applyMigration(executor, migration);
      names.push(migration.name);
    }
    return names;
  });
}

async function withMigrationLock<T>(executor: SqlExecutor, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  // PGlite is one session inside this process: there is nobody to exclude.
  if (executor.dialect === 'pglite') return fn();
  await acquireLock(executor, timeoutMs);
  try {
    return await fn();
  } finally {
    // If this fails the session is gone, and its lock with it; keep fn's own outcome.
    await executor.query('SELECT pg_advisory_unlock($1)', [PRISMA_LOCK_KEY]).catch(() => undefined);
  }
}

// Polling pg_try_advisory_lock rather than blocking in pg_advisory_lock gives a timeout
// that does not depend on server settings and leaves no waiting backend behind.
async function acquireLock(db: SqlQueryable, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await db.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [PRISMA_LOCK_KEY]);
    if (row?.locked) return;
    if (Date.now() >= deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for the migration advisory lock ` +
          `(pg_advisory_lock(${PRISMA_LOCK_KEY})); another migrator is running or left a session open`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function ensureMigrationsTable(db: SqlQueryable): Promise<void> {
  const tables = await db.query<{ name: string }>(
    `SELECT table_name::text AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
  );
  if (tables.some((table) => table.name === '_prisma_migrations')) return;
  // Like migrate deploy (P3005): migrating a schema someone built by other means would
  // collide with its tables halfway through. PostGIS's own table is not ours to judge.
  const foreign = tables.map((table) => table.name).filter((name) => name !== 'spatial_ref_sys');
  if (foreign.length > 0) {
    throw new Error(
      `The database schema is not empty (tables: ${foreign.join(', ')}) but has no _prisma_migrations ` +
        'table; baseline it (record the already-applied migrations) before migrating',
    );
  }
  await db.exec(CREATE_MIGRATIONS_TABLE);
}

function refuseFailed(records: readonly MigrationRecord[]): void {
  const failed = records.filter((record) => record.finished_at === null && record.rolled_back_at === null);
  if (failed.length === 0) return;
  const details = failed
    .map((record) => `${record.migration_name} (started ${record.started_at.toISOString()}): ${record.logs?.trim() || 'no logs'}`)
    .join('\n');
  throw new Error(
    `Found failed migrations in _prisma_migrations; nothing was applied.\n${details}\n` +
      'Once the database is consistent again, mark each as rolled back ' +
      "(UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '<name>' AND finished_at IS NULL, " +
      'or prisma migrate resolve --rolled-back <name>) and migrate again.',
  );
}

function refuseModified(applied: readonly MigrationRecord[], migrations: readonly MigrationFile[]): void {
  const byName = new Map(migrations.map((migration) => [migration.name, migration]));
  const modified = applied
    .filter((record) => {
      const file = byName.get(record.migration_name);
      return file !== undefined && !checksumMatches(file.script, record.checksum);
    })
    .map((record) => record.migration_name);
  if (modified.length === 0) return;
  throw new Error(
    `Applied migrations were modified after they were applied: ${modified.join(', ')} ` +
      '(migration.sql no longer matches the checksum in _prisma_migrations); nothing was applied. ' +
      'Restore the original files and put the change in a new migration.',
  );
}

async function applyMigration(executor: SqlExecutor, migration: MigrationFile): Promise<void> {
  const id = randomUUID();
  try {
    await executor.transaction(async (tx) => {
      await tx.query(
        'INSERT INTO _prisma_migrations (id, checksum, started_at, migration_name) VALUES ($1, $2, now(), $3)',
        [id, migration.checksum, migration.name],
      );
      await tx.exec(migration.script);
      // clock_timestamp(), not now(): now() is the transaction's start, i.e. started_at.
      await tx.query(
        `UPDATE _prisma_migrations
         SET applied_steps_count = applied_steps_count + 1, finished_at = clock_timestamp()
         WHERE id = $1`,
        [id],
      );
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // The rollback took the "started" row with it; record the failure the way migrate deploy
    // leaves it (finished_at and rolled_back_at NULL, the error in logs) so that no migrator
    // goes on past it unnoticed.
    const recorded = await executor
      .query(
        'INSERT INTO _prisma_migrations (id, checksum, started_at, migration_name, logs) VALUES ($1, $2, now(), $3, $4)',
        [id, migration.checksum, migration.name, message],
      )
      .then(
        () => '',
        (recordError: unknown) => ` (recording the failure failed too: ${String(recordError)})`,
      );
    throw new Error(`Migration ${migration.name} failed and was rolled back: ${message}${recorded}`, { cause: error });
  }
}
