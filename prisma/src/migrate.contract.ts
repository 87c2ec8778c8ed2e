// Behaviour of migrate() every executor must show; run against PGlite (migrate.test.ts)
// and a real Postgres (migrate.int.test.ts).
import { createHash } from 'node:crypto';
import { appendFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { migrate, type MigrationRecord } from './migrate';
import { defaultMigrationsDir, readMigrations } from './migrations-folder';
import type { SqlExecutor } from './sql-executor';

export interface OpenedDatabase {
  executor: SqlExecutor;
  close(): Promise<void>;
}

const INIT = '20261127000000_init';

/** A copy of this package's migrations that a test may change. */
async function copyOfMigrations(): Promise<{ dir: string; add(name: string, sql: string): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ump-migrations-'));
  await cp(defaultMigrationsDir, dir, { recursive: true });
  return {
    dir,
    async add(name, sql) {
      await mkdir(path.join(dir, name));
      await writeFile(path.join(dir, name, 'migration.sql'), sql);
    },
  };
}

const records = (executor: SqlExecutor) =>
  executor.query<MigrationRecord>('SELECT * FROM _prisma_migrations ORDER BY started_at, migration_name');

/** Registers the shared migrate() tests; `open` must give a fresh, empty database each call. */
export function migrateContract(label: string, open: () => Promise<OpenedDatabase>): void {
  describe(`migrate (${label})`, () => {
    let db: OpenedDatabase;
    let folders: Array<{ dir: string }> = [];
    beforeEach(async () => {
      db = await open();
    });
    afterEach(async () => {
      await db.close();
      await Promise.all(folders.map((f) => rm(f.dir, { recursive: true, force: true })));
      folders = [];
    });
    const migrations = async () => {
      const copy = await copyOfMigrations();
      folders.push(copy);
      return copy;
    };

    it('applies the migrations to an empty database once, recording them as migrate deploy does', async () => {
      const committed = (await readMigrations()).map((m) => m.name);
      expect(committed[0]).toBe(INIT);
      expect(await migrate(db.executor)).toEqual(committed);
      expect(await migrate(db.executor)).toEqual([]);

      const rows = await records(db.executor);
      expect(rows.map((r) => r.migration_name)).toEqual(committed);
      const [row] = rows;
      const file = await readFile(path.join(defaultMigrationsDir, INIT, 'migration.sql'));
      expect(row).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        checksum: createHash('sha256').update(file).digest('hex'),
        finished_at: expect.any(Date),
        migration_name: INIT,
        logs: null,
        rolled_back_at: null,
        started_at: expect.any(Date),
        applied_steps_count: 1,
      });
      expect(row!.finished_at!.getTime()).toBeGreaterThanOrEqual(row!.started_at.getTime());
      const tables = await db.executor.query<{ name: string }>(
        "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
      );
      expect(tables.map((t) => t.name)).toEqual([
        '_prisma_migrations',
        'alert_history',
        'alert_rules',
        'alerts',
        'api_keys',
        'device_credentials',
        'device_firmware',
        'device_profiles',
        'devices',
        'firmware',
        'rollout_devices',
        'rollout_gate_results',
        'rollout_transitions',
        'rollouts',
        'suppressions',
        'tenants',
        'ticket_comments',
        'ticket_policies',
        'tickets',
        'users',
      ]);
    });

    it('creates _prisma_migrations with the schema engine’s column definitions', async () => {
      await migrate(db.executor);
      const columns = await db.executor.query(
        `SELECT column_name::text AS name, data_type::text AS type, character_maximum_length AS length,
                is_nullable::text AS nullable, column_default::text AS default
         FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
      );
      expect(columns).toEqual([
        { name: 'id', type: 'character varying', length: 36, nullable: 'NO', default: null },
        { name: 'checksum', type: 'character varying', length: 64, nullable: 'NO', default: null },
        { name: 'finished_at', type: 'timestamp with time zone', length: null, nullable: 'YES', default: null },
        { name: 'migration_name', type: 'character varying', length: 255, nullable: 'NO', default: null },
        { name: 'logs', type: 'text', length: null, nullable: 'YES', default: null },
        { name: 'rolled_back_at', type: 'timestamp with time zone', length: null, nullable: 'YES', default: null },
        { name: 'started_at', type: 'timestamp with time zone', length: null, nullable: 'NO', default: 'now()' },
        { name: 'applied_steps_count', type: 'integer', length: null, nullable: 'NO', default: '0' },
      ]);
      const [pk] = await db.executor.query<{ columns: string[] }>(
        `SELECT json_agg(a.attname::text) AS columns FROM pg_index x
         JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = ANY(x.indkey)
         WHERE x.indrelid = '_prisma_migrations'::regclass AND x.indisprimary`,
      );
      expect(pk?.columns).toEqual(['id']);
    });

    it('applies only migrations added since the last run', async () => {
      const folder = await migrations();
      const before = await migrate(db.executor, { migrationsDir: folder.dir });
      await folder.add('20991201000000_add_note', 'ALTER TABLE "tenants" ADD COLUMN "note" TEXT;');
      expect(await migrate(db.executor, { migrationsDir: folder.dir })).toEqual(['20991201000000_add_note']);
      expect((await records(db.executor)).map((r) => r.migration_name)).toEqual([...before, '20991201000000_add_note']);
    });

    it('refuses to run when an applied migration was modified, naming it and applying nothing', async () => {
      const folder = await migrations();
      const applied = await migrate(db.executor, { migrationsDir: folder.dir });
      await appendFile(path.join(folder.dir, INIT, 'migration.sql'), '\n-- an innocent-looking edit\n');
      await folder.add('20991201000000_add_note', 'ALTER TABLE "tenants" ADD COLUMN "note" TEXT;');
      await expect(migrate(db.executor, { migrationsDir: folder.dir })).rejects.toThrow(
        new RegExp(`modified after they were applied: ${INIT}\\b`),
      );
      expect(await records(db.executor)).toHaveLength(applied.length);
    });

    it('rolls a failing migration back, records it as failed, and refuses to go on until it is resolved', async () => {
      const folder = await migrations();
      await folder.add('20261201000000_broken', 'CREATE TABLE "half_done" (id int);\nSELECT 1 / 0;');
      await folder.add('20261202000000_after', 'CREATE TABLE "after" (id int);');
      await expect(migrate(db.executor, { migrationsDir: folder.dir })).rejects.toThrow(
        /Migration 20261201000000_broken failed and was rolled back: division by zero/,
      );
      const failed = (await records(db.executor)).find((r) => r.migration_name === '20261201000000_broken');
      expect(failed).toMatchObject({ finished_at: null, rolled_back_at: null, applied_steps_count: 0 });
      expect(failed?.logs).toContain('division by zero');
      const tables = await db.executor.query(
        "SELECT 1 FROM information_schema.tables WHERE table_name IN ('half_done', 'after')",
      );
      expect(tables).toEqual([]);

      await expect(migrate(db.executor, { migrationsDir: folder.dir })).rejects.toThrow(
        /failed migrations.*\n20261201000000_broken .*division by zero/s,
      );

      // Resolving it as Prisma's `migrate resolve --rolled-back` does, then fixing the file.
      await db.executor.query(
        "UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '20261201000000_broken'",
      );
      await writeFile(path.join(folder.dir, '20261201000000_broken', 'migration.sql'), 'CREATE TABLE "half_done" (id int);');
      expect(await migrate(db.executor, { migrationsDir: folder.dir })).toEqual([
        '20261201000000_broken',
        '20261202000000_after',
      ]);
    });

    it('refuses a schema that has tables but no _prisma_migrations', async () => {
      await db.executor.exec('CREATE TABLE "legacy" (id int)');
      await expect(migrate(db.executor)).rejects.toThrow(/not empty \(tables: legacy\).*baseline/);
      const tables = await db.executor.query("SELECT 1 FROM information_schema.tables WHERE table_name = '_prisma_migrations'");
      expect(tables).toEqual([]);
    });
  });
}
