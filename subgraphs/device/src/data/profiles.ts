import { isUniqueViolation, type TenantDb } from '@ump/db';
import { conflict } from '@ump/core';

export interface ProfileInput {
  name?: string;
  description?: string | null;
  inactivityTimeoutSeconds?: number;
}

const nameTaken = (name?: string) => conflict(`A device profile named "${name}" already exists`, 'input.name');

/** Device profiles of the scoped tenant. */
export const profileStore = {
  async create(db: TenantDb, tenantId: string, input: ProfileInput & { name: string }) {
    try {
      return await db.deviceProfile.create({ data: { ...input, tenantId } });
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(input.name);
      throw error;
    }
  },

  async update(db: TenantDb, id: string, input: ProfileInput) {
    try {
      const { count } = await db.deviceProfile.updateMany({ where: { id }, data: input });
      return count === 0 ? null : db.deviceProfile.findUnique({ where: { id } });
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(input.name);
      throw error;
    }
  },

  async remove(db: TenantDb, id: string): Promise<boolean> {
    return (await db.deviceProfile.deleteMany({ where: { id } })).count > 0;
  },

  list: (db: TenantDb, tenantId?: string) =>
    db.deviceProfile.findMany({ where: tenantId ? { tenantId } : {}, orderBy: { name: 'asc' } }),

  byIds: (db: TenantDb, ids: readonly string[]) => db.deviceProfile.findMany({ where: { id: { in: [...ids] } } }),

  async deviceCounts(db: TenantDb, profileIds: readonly string[]) {
    const groups = await db.device.groupBy({
      by: ['profileId'],
      where: { profileId: { in: [...profileIds] } },
      _count: { _all: true },
    });
    return new Map(groups.map((g) => [g.profileId, g._count._all]));
  },
};

export type ProfileRow = Awaited<ReturnType<typeof profileStore.byIds>>[number];
