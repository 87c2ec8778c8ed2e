import type { Role, TenantDb } from '@ump/db';

const publicFields = {
  id: true,
  tenantId: true,
  name: true,
  role: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
  secretHash: true,
} as const;

/** API key rows. The secret is never stored, only its SHA-256. */
export const apiKeyStore = {
  create: (
    db: TenantDb,
    input: { id: string; tenantId: string; name: string; role: Role; secretHash: string; createdById: string | null },
  ) =>
    db.apiKey.create({ data: input, select: publicFields }),

  byIds: (db: TenantDb, ids: readonly string[]) =>
    db.apiKey.findMany({ where: { id: { in: [...ids] } }, select: publicFields }),

  list: (db: TenantDb) => db.apiKey.findMany({ orderBy: { createdAt: 'desc' }, select: publicFields }),

  async revoke(db: TenantDb, id: string) {
    const { count } = await db.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
    const row = await db.apiKey.findUnique({ where: { id }, select: publicFields });
    return { row, changed: count > 0 };
  },

  touch: (db: TenantDb, id: string) => db.apiKey.updateMany({ where: { id }, data: { lastUsedAt: new Date() } }),
};

export type ApiKeyRow = Awaited<ReturnType<typeof apiKeyStore.list>>[number];
