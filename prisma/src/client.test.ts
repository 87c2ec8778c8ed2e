import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDatabase } from './client';
import { Role } from './generated/client';
import { readMigrations } from './migrations-folder';
import { createQueryCounter } from './query-counter';
import { createEmbeddedTestDatabase } from './testing';

// Starting a PGlite takes a second or two, more on a cold cache.
jest.setTimeout(60_000);

describe('embedded database (PGlite)', () => {
  it('migrates and round-trips a tenant with its users through the Prisma client', async () => {
    const { db, drop } = await createEmbeddedTestDatabase();
    try {
      expect(db.kind).toBe('pglite');
      const tenant = await db.prisma.tenant.create({ data: { name: 'acme' } });
      expect(tenant).toMatchObject({ name: 'acme', plan: 'standard' });
      expect(tenant.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/); // uuid(7), made by the client
      await db.prisma.user.create({
        data: { email: 'ops@acme.test', passwordHash: 'x', role: Role.OPERATOR, tenantId: tenant.id },
      });

      const loaded = await db.prisma.tenant.findUniqueOrThrow({ where: { name: 'acme' }, include: { users: true } });
      expect(loaded.createdAt).toBeInstanceOf(Date);
      expect(loaded.users).toEqual([expect.objectContaining({ email: 'ops@acme.test', role: 'OPERATOR' })]);

      // Deleting the tenant cascades to its users (ON DELETE CASCADE in the migration).
      await db.prisma.tenant.delete({ where: { id: tenant.id } });
      expect(await db.prisma.user.count()).toBe(0);
    } finally {
      await drop();
    }
  });

  it('fills the database defaults of devices (labels, attributes)', async () => {
    const { db, drop } = await createEmbeddedTestDatabase();
    try {
      const device = await db.prisma.device.create({ data: { tenantId: '0190b6f0-0000-7000-8000-000000000001', name: 'd1' } });
      expect(device).toMatchObject({ labels: [], attributes: {}, profileId: null });
    } finally {
      await drop();
    }
  });

  it('reports every SQL statement to onQuery, for N+1 tests', async () => {
    const counter = createQueryCounter();
    const { db, drop } = await createEmbeddedTestDatabase({ onQuery: counter.onQuery });
    try {
      const tenant = await db.prisma.tenant.create({ data: { name: 'acme' } });
      counter.reset();
      const { count } = await counter.measure(() =>
        db.prisma.tenant.findMany({ where: { id: tenant.id }, include: { users: true, apiKeys: true } }),
      );
      expect(count).toBeGreaterThanOrEqual(1);
      expect(count).toBeLessThanOrEqual(3); // one per table at most, however many tenants
      expect(counter.queries.some((sql) => sql.includes('"tenants"'))).toBe(true);
    } finally {
      await drop();
    }
  });

  it('persists under dataDir/postgres across reopening, and close() may be called twice', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ump-db-test-'));
    try {
      const first = await createDatabase({ dataDir });
      expect(await first.migrate()).toEqual((await readMigrations()).map((m) => m.name));
      await first.prisma.tenant.create({ data: { name: 'kept' } });
      await first.close();
      await first.close();

      const second = await createDatabase({ dataDir });
      try {
        expect(await second.migrate()).toEqual([]);
        expect(await second.prisma.tenant.findMany({ select: { name: true } })).toEqual([{ name: 'kept' }]);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('reports migration progress through log', async () => {
    const messages: string[] = [];
    const { drop } = await createEmbeddedTestDatabase({ log: (event) => messages.push(`${event.level}: ${event.message}`) });
    await drop();
    expect(messages).toContain('info: Applying migration 20261127000000_init');
  });
});
