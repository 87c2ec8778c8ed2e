import { isUniqueViolation, type Prisma, type TenantDb } from '@ump/db';
import { conflict, uuidv7 } from '@ump/core';

export interface DeviceFilter {
  tenantId?: string;
  search?: string;
  labels?: string[];
  profileId?: string;
}

function whereOf(filter: DeviceFilter): Prisma.DeviceWhereInput {
  return {
    ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
    ...(filter.search ? { name: { contains: filter.search, mode: 'insensitive' } } : {}),
    ...(filter.labels?.length ? { labels: { hasEvery: filter.labels } } : {}),
    ...(filter.profileId ? { profileId: filter.profileId } : {}),
  };
}

const ROTATE_ATTEMPTS = 3;

const nameTaken = (name?: string) => conflict(`A device named "${name}" already exists`, 'input.name');

/** Devices and their credentials, in the scoped tenant. */
export const deviceStore = {
  /** Creates a device and its credential in one transaction. */
  async create(
    db: TenantDb,
    tenantId: string,
    input: { name: string; profileId?: string | null; labels: string[]; attributes: Prisma.InputJsonObject },
    tokenHash: string,
  ) {
    const id = uuidv7();
    try {
      const [device] = await db.$transaction([
        db.device.create({ data: { ...input, id, tenantId } }),
        db.deviceCredential.create({ data: { deviceId: id, tenantId, tokenHash } }),
      ]);
      return device;
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(input.name);
      throw error;
    }
  },

  async update(db: TenantDb, id: string, data: Prisma.DeviceUncheckedUpdateManyInput, expectedUpdatedAt?: Date) {
    try {
      const where = expectedUpdatedAt ? { id, updatedAt: expectedUpdatedAt } : { id };
      const { count } = await db.device.updateMany({ where, data });
      return count === 0 ? null : db.device.findUnique({ where: { id } });
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(typeof data.name === 'string' ? data.name : undefined);
      throw error;
    }
  },

  /**
   * Deletes a device (its credential goes with it). Resolves with the hash of the token that
   * stopped working, so the caller can evict it from the intake's cache; null when the
   * device is not in scope.
   */
  async remove(db: TenantDb, id: string): Promise<{ tokenHash: string | null } | null> {
    const credential = await db.deviceCredential.findUnique({ where: { deviceId: id }, select: { tokenHash: true } });
    const { count } = await db.device.deleteMany({ where: { id } });
    return count > 0 ? { tokenHash: credential?.tokenHash ?? null } : null;
  },

  byIds: (db: TenantDb, ids: readonly string[]) => db.device.findMany({ where: { id: { in: [...ids] } } }),

  async page(db: TenantDb, filter: DeviceFilter, size: number, afterId?: string) {
    const where = whereOf(filter);
    const [rows, total] = await Promise.all([
      db.device.findMany({
        where: afterId ? { AND: [where, { id: { gt: afterId } }] } : where,
        orderBy: { id: 'asc' },
        take: size + 1,
      }),
      db.device.count({ where }),
    ]);
    return { rows, total };
  },

  /**
   * Replaces the token hash and resolves with the replaced one (for evicting it from the
   * intake's cache); null when the device is not in scope. The update only applies if the
   * hash is still the one read, so two concurrent rotations each learn the hash they replaced.
   */
  async rotateToken(db: TenantDb, deviceId: string, tokenHash: string): Promise<{ oldTokenHash: string } | null> {
    for (let attempt = 0; attempt < ROTATE_ATTEMPTS; attempt++) {
      const current = await db.deviceCredential.findUnique({ where: { deviceId }, select: { tokenHash: true } });
      if (!current) return null;
      const { count } = await db.deviceCredential.updateMany({
        where: { deviceId, tokenHash: current.tokenHash },
        data: { tokenHash, rotatedAt: new Date() },
      });
      if (count > 0) return { oldTokenHash: current.tokenHash };
    }
    throw conflict('The device token was rotated concurrently; try again', 'id');
  },
};

export type DeviceRow = Awaited<ReturnType<typeof deviceStore.byIds>>[number];
