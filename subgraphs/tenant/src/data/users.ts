import { isUniqueViolation, type Role, type TenantDb } from '@ump/db';
import { conflict } from '@ump/core';

const publicFields = { id: true, tenantId: true, email: true, role: true, createdAt: true } as const;

/** User rows. Password hashes leave this file only through `credentialsByEmail`. */
export const userStore = {
  async create(db: TenantDb, input: { tenantId: string | null; email: string; passwordHash: string; role: Role }) {
    try {
      return await db.user.create({ data: input, select: publicFields });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`A user with email ${input.email} already exists`, 'input.email');
      throw error;
    }
  },

  /** For login only: looks across tenants, since an email is unique platform-wide. */
  credentialsByEmail: (db: TenantDb, email: string) =>
    db.user.findUnique({ where: { email }, select: { ...publicFields, passwordHash: true } }),

  passwordHash: async (db: TenantDb, id: string) =>
    (await db.user.findUnique({ where: { id }, select: { passwordHash: true } }))?.passwordHash ?? null,

  byIds: (db: TenantDb, ids: readonly string[]) =>
    db.user.findMany({ where: { id: { in: [...ids] } }, select: publicFields }),

  async page(db: TenantDb, filter: { tenantId?: string }, size: number, afterId?: string) {
    const where = { ...filter };
    const [rows, total] = await Promise.all([
      db.user.findMany({
        where: { ...where, ...(afterId ? { id: { gt: afterId } } : {}) },
        orderBy: { id: 'asc' },
        take: size + 1,
        select: publicFields,
      }),
      db.user.count({ where }),
    ]);
    return { rows, total };
  },

  async update(db: TenantDb, id: string, data: { role?: Role; passwordHash?: string }) {
    const { count } = await db.user.updateMany({ where: { id }, data });
    return count === 0 ? null : db.user.findUnique({ where: { id }, select: publicFields });
  },

  async remove(db: TenantDb, id: string): Promise<boolean> {
    const { count } = await db.user.deleteMany({ where: { id } });
    return count > 0;
  },
};

export type UserRow = NonNullable<Awaited<ReturnType<typeof userStore.byIds>>[number]>;
