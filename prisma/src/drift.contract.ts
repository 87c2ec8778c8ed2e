// The drift check against a migrated database; run on PGlite (drift.test.ts) and on a real
// Postgres (drift.int.test.ts), whose catalogs the check reads the same way.
import { checkDrift } from './drift';
import type { SqlExecutor } from './sql-executor';

export interface MigratedDatabase {
  /** A session on a database the migrations were applied to. */
  executor: SqlExecutor;
  close(): Promise<void>;
}

/** Registers the shared drift tests; `open` must give a freshly migrated database each call. */
export function driftContract(label: string, open: () => Promise<MigratedDatabase>): void {
  describe(`drift check (${label})`, () => {
    let db: MigratedDatabase;
    beforeEach(async () => {
      db = await open();
    });
    afterEach(() => db.close());

    it('finds no difference between the migrated database and the Prisma datamodel', async () => {
      expect(await checkDrift(db.executor)).toEqual([]);
    });

    it('detects a dropped column', async () => {
      await db.executor.exec('ALTER TABLE "devices" DROP COLUMN "labels"');
      expect(await checkDrift(db.executor)).toEqual(['missing column public.devices.labels (text[])']);
    });

    it('detects changed types, nullability, defaults, enums, indexes, foreign keys and stray tables', async () => {
      await db.executor.exec(`
        ALTER TABLE "users" ALTER COLUMN "email" DROP NOT NULL;
        ALTER TABLE "api_keys" ALTER COLUMN "last_used_at" TYPE TIMESTAMP(3);
        ALTER TABLE "tenants" ALTER COLUMN "plan" SET DEFAULT 'pro';
        ALTER TABLE "devices" ALTER COLUMN "attributes" DROP DEFAULT;
        ALTER TYPE "Role" ADD VALUE 'AUDITOR';
        DROP INDEX "users_tenant_id_idx";
        DROP INDEX "tenants_name_key";
        CREATE INDEX "tenants_name_key" ON "tenants"("name");
        ALTER TABLE "users" DROP CONSTRAINT "users_tenant_id_fkey";
        ALTER TABLE "users" ADD CONSTRAINT "users_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id")
          ON DELETE SET NULL ON UPDATE CASCADE;
        CREATE TABLE "scratch" ("id" INTEGER);
      `);
      expect((await checkDrift(db.executor)).sort()).toEqual(
        [
          'column public.api_keys.last_used_at: type is timestamp(3) without time zone, the datamodel expects timestamp(3) with time zone',
          'column public.devices.attributes: default is none, the datamodel expects \'{}\'',
          "column public.tenants.plan: default is 'pro', the datamodel expects 'standard'",
          'column public.users.email: is nullable, the datamodel expects NOT NULL',
          'enum public.Role: unexpected values AUDITOR',
          'foreign key public.users.users_tenant_id_fkey: is public.users(tenant_id) -> public.tenants(id) ON DELETE SetNull ON UPDATE Cascade, ' +
            'the datamodel expects public.users(tenant_id) -> public.tenants(id) ON DELETE Cascade ON UPDATE Cascade',
          'index public.tenants_name_key: is index btree on public.tenants(name), the datamodel expects unique index btree on public.tenants(name)',
          'missing index public.users_tenant_id_idx (index btree on public.users(tenant_id))',
          'unexpected table public.scratch',
        ].sort(),
      );
    });
  });
}
