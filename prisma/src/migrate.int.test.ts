import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { describeWith } from '@ump/core/src/testing/services';
import { createQueryCounter } from './query-counter';
import { migrate } from './migrate';
import { readMigrations } from './migrations-folder';
import { migrateContract } from './migrate.contract';
import { pgExecutor } from './sql-executor';
import { createTestDatabase, type TestDatabase } from './testing';


async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

describeWith('postgres')('migrations on Postgres', () => {
  migrateContract('Postgres', async () => {
    const test = await createTestDatabase({ skipMigrate: true });
    const client = await connect(test.url);
    return {
      executor: pgExecutor(client),
      async close() {
        await client.end();
        await test.drop();
      },
    };
  });

  describe('with other sessions', () => {
    let test: TestDatabase;
    const clients: pg.Client[] = [];
    beforeEach(async () => {
      test = await createTestDatabase({ skipMigrate: true });
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.end()));
      await test.drop();
    });
    const session = async () => {
      const client = await connect(test.url);
      clients.push(client);
      return client;
    };

    it('lets concurrent migrators take turns through the advisory lock: one applies, the other finds nothing to do', async () => {
      const [a, b] = await Promise.all([session(), session()]);
      const committed = (await readMigrations()).length;
      const results = await Promise.all([migrate(pgExecutor(a)), migrate(pgExecutor(b))]);
      expect(results.map((names) => names.length).sort()).toEqual([0, committed]);
      expect((await a.query('SELECT count(*)::int AS n FROM _prisma_migrations')).rows).toEqual([{ n: committed }]);
    });

    it('gives up after lockTimeoutMs while another session holds Prisma’s lock', async () => {
      const holder = await session();
      await holder.query('SELECT pg_advisory_lock(72707369)');
      await expect(migrate(pgExecutor(await session()), { lockTimeoutMs: 300 })).rejects.toThrow(
        /Timed out after 300 ms .*pg_advisory_lock\(72707369\)/,
      );
      await holder.query('SELECT pg_advisory_unlock(72707369)');
    });

    it('releases the lock when it is done', async () => {
      const client = await session();
      await migrate(pgExecutor(client));
      const locks = await client.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()");
      expect(locks.rows).toEqual([]);
    });

    it('is what `npm run db:migrate` runs, printing what it applied', async () => {
      const root = path.resolve(__dirname, '..', '..');
      const run = () =>
        promisify(execFile)(path.join(root, 'node_modules', '.bin', 'tsx'), ['prisma/src/migrate-cli.ts'], {
          cwd: root,
          env: { ...process.env, DATABASE_URL: test.url },
        });
      const committed = (await readMigrations()).map((m) => m.name);
      const first = await run();
      expect(first.stdout).toContain(
        `Applied ${committed.length} migration(s) to 127.0.0.1:5432/${new URL(test.url).pathname.slice(1)}: ${committed.join(', ')}`,
      );
      expect((await run()).stdout).toContain('is up to date; no migrations applied');
    });
  });

  it('createTestDatabase gives a migrated database the Prisma client (pg adapter) can use, and onQuery sees its SQL', async () => {
    const counter = createQueryCounter();
    const test = await createTestDatabase({ onQuery: counter.onQuery });
    try {
      expect(test.db.kind).toBe('postgres');
      expect(new URL(test.url).pathname).toMatch(/^\/ump_test_[0-9a-f]{16}$/);
      const tenant = await test.db.prisma.tenant.create({ data: { name: 'acme' } });
      expect(await test.db.prisma.tenant.findUnique({ where: { id: tenant.id } })).toMatchObject({ name: 'acme', plan: 'standard' });
      expect(counter.count).toBeGreaterThanOrEqual(2);
      expect(await test.db.migrate()).toEqual([]);
    } finally {
      await test.drop();
    }
    // drop() removed the database itself.
    const admin = await connect(test.url.replace(/\/ump_test_[0-9a-f]+/, '/test'));
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [new URL(test.url).pathname.slice(1)]);
    await admin.end();
    expect(exists.rows).toEqual([]);
  });
});
