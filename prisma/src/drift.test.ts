import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { driftContract } from './drift.contract';
import { expectedSchema, loadDatamodel } from './drift';
import { migrate } from './migrate';
import { normalizeDefault } from './schema-shape';
import { pgliteExecutor } from './sql-executor';

// Starting a PGlite takes a second or two, more on a cold cache.
jest.setTimeout(60_000);

driftContract('PGlite', async () => {
  const db = await PGlite.create();
  const executor = pgliteExecutor(db);
  await migrate(executor);
  return { executor, close: () => db.close() };
});

describe('expectedSchema', () => {
  it('names constraints as Prisma does for this datamodel', async () => {
    const shape = expectedSchema(await loadDatamodel());
    expect(Object.keys(shape.indexes)).toEqual(
      expect.arrayContaining([
        'public.users_pkey',
        'public.users_email_key',
        'public.users_tenant_id_idx',
        'public.devices_tenant_id_name_key',
        'public.devices_tenant_id_id_idx',
        'public.device_credentials_token_hash_key',
      ]),
    );
    expect(shape.foreignKeys['public.users.users_tenant_id_fkey']).toEqual({
      table: 'public.users',
      columns: ['tenant_id'],
      referencedTable: 'public.tenants',
      referencedColumns: ['id'],
      onDelete: 'Cascade',
      onUpdate: 'Cascade',
    });
    expect(shape.tables['public.devices']?.['labels']).toEqual({ type: 'text[]', nullable: null, default: 'ARRAY[]' });
    expect(shape.tables['public.devices']?.['id']).toEqual({ type: 'uuid', nullable: false, default: null });
    expect(shape.enums['public.Role']).toEqual(['PLATFORM_ADMIN', 'TENANT_ADMIN', 'OPERATOR', 'VIEWER']);
  });

  it('shortens generated names to Postgres’ 63 bytes the way Prisma does', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ump-schema-'));
    try {
      const table = 'a_table_name_that_is_long_enough_to_overflow_identifiers_xx';
      await writeFile(
        path.join(dir, 'schema.prisma'),
        `datasource db {\n  provider = "postgresql"\n}\n` +
          `model Long {\n  id Int @id\n  someLongColumnName Int\n  @@index([someLongColumnName])\n  @@map("${table}")\n}\n`,
      );
      const shape = expectedSchema(await loadDatamodel(dir));
      expect(Object.keys(shape.indexes).sort()).toEqual([
        'public.a_table_name_that_is_long_enough_to_overflow_identifiers_x_pkey',
        'public.a_table_name_that_is_long_enough_to_overflow_identifiers_xx_idx',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects an invalid schema with Prisma’s message', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ump-schema-'));
    try {
      await writeFile(path.join(dir, 'schema.prisma'), 'model Broken {\n  id Int\n}\n');
      await expect(loadDatamodel(dir)).rejects.toThrow(/Invalid Prisma schema: .*unique criteria|Invalid Prisma schema/s);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('normalizeDefault', () => {
  it.each([
    ["'{}'::jsonb", "'{}'"],
    ['ARRAY[]::text[]', 'ARRAY[]'],
    ["'{}'::text[]", 'ARRAY[]'],
    ["ARRAY['a'::text, 'b'::text]", "ARRAY['a', 'b']"],
    ['CURRENT_TIMESTAMP', 'now()'],
    ['now()', 'now()'],
    ["nextval('a_id_seq'::regclass)", 'autoincrement()'],
    ["'-1'::integer", '-1'],
    ["'VIEWER'::\"Role\"", "'VIEWER'"],
    ["'x'::character varying", "'x'"],
    ['(0)', '0'],
    ['gen_random_uuid()', 'gen_random_uuid()'],
  ])('%s → %s', (input, output) => {
    expect(normalizeDefault(input)).toBe(output);
  });
});
