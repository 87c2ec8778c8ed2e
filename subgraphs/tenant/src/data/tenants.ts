import { isUniqueViolation, type TenantDb } from '@ump/db';
import { conflict } from '@ump/core';

export interface TenantRow {
  id: string;
  name: string;
  plan: string;
  createdAt: Date;
}

/** Tenant rows. `db` is scoped: a tenant caller's client sees only its own row. */
export const tenantStore = {
  async create(db: TenantDb, input: { name: string; plan?: string }): Promise<TenantRow> {
    try {
      return await db.tenant.create({ data: input });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`A tenant named "${input.name}" already exists`, 'input.name');
      throw error;
    }
  },

  async update(db: TenantDb, id: string, input: { name?: string; plan?: string }): Promise<TenantRow | null> {
    try {
      const { count } = await db.tenant.updateMany({ where: { id }, data: input });
      return count === 0 ? null : db.tenant.findUnique({ where: { id } });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`A tenant named "${input.name}" already exists`, 'input.name');
      throw error;
    }
  },

  byIds: (db: TenantDb, ids: readonly string[]) => db.tenant.findMany({ where: { id: { in: [...ids] } } }),

  async page(db: TenantDb, size: number, afterId?: string) {
    const [rows, total] = await Promise.all([
      db.tenant.findMany({ where: afterId ? { id: { gt: afterId } } : {}, orderBy: { id: 'asc' }, take: size + 1 }),
      db.tenant.count(),
    ]);
    return { rows, total };
  },
};
