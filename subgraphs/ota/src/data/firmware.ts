import { isUniqueViolation, type Prisma, type TenantDb } from '@ump/db';
import { conflict } from '@ump/core';

export type FirmwareSource = 'UPLOAD' | 'URL';

/** A firmware row to write; its bytes are already in the artifact store under `storageKey`. */
export interface FirmwareData {
  id: string;
  title: string;
  version: string;
  profileIds: string[];
  size: number;
  sha256: string;
  releaseNotes: string | null;
  storageKey: string;
  source: FirmwareSource;
  sourceUrl: string | null;
}

export const versionTaken = (title: string, version: string) =>
  conflict(`Firmware "${title}" ${version} already exists`, 'input.version');

// Prisma's "foreign key constraint failed": a rollout was created for the firmware meanwhile.
const isForeignKeyViolation = (error: unknown) =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2003';

/** Firmware of the scoped tenant. */
export const firmwareStore = {
  /** CONFLICT on `input.version` when the tenant already has this title and version. */
  async create(db: TenantDb, tenantId: string, data: FirmwareData, createdById: string | null) {
    try {
      return await db.firmware.create({ data: { ...data, tenantId, createdById } });
    } catch (error) {
      if (isUniqueViolation(error)) throw versionTaken(data.title, data.version);
      throw error;
    }
  },

  async exists(db: TenantDb, title: string, version: string) {
    return (await db.firmware.count({ where: { title, version } })) > 0;
  },

  byIds: (db: TenantDb, ids: readonly string[]) => db.firmware.findMany({ where: { id: { in: [...ids] } } }),

  /** Newest first: ids are UUIDv7, so id order is creation order. */
  async page(db: TenantDb, filter: { title?: string | null }, size: number, afterId?: string) {
    const where: Prisma.FirmwareWhereInput = filter.title ? { title: filter.title } : {};
    const [rows, total] = await Promise.all([
      db.firmware.findMany({ where: afterId ? { AND: [where, { id: { lt: afterId } }] } : where, orderBy: { id: 'desc' }, take: size + 1 }),
      db.firmware.count({ where }),
    ]);
    return { rows, total };
  },

  /** Rollouts per firmware id (any state); ids without rollouts are absent. */
  async rolloutCounts(db: TenantDb, firmwareIds: readonly string[]) {
    const groups = await db.rollout.groupBy({ by: ['firmwareId'], where: { firmwareId: { in: [...firmwareIds] } }, _count: { _all: true } });
    return new Map(groups.map((g) => [g.firmwareId, g._count._all]));
  },

  /**
   * Deletes the row; false when it is not in scope. CONFLICT when a rollout uses it (the
   * foreign key is the backstop for a rollout created after the caller's check).
   */
  async remove(db: TenantDb, id: string) {
    try {
      const { count } = await db.firmware.deleteMany({ where: { id } });
      return count > 0;
    } catch (error) {
      if (isForeignKeyViolation(error)) throw inUse();
      throw error;
    }
  },
};

export const inUse = () => conflict('A rollout uses this firmware; it can be deleted once no rollout refers to it', 'id');

export type FirmwareRow = Awaited<ReturnType<typeof firmwareStore.byIds>>[number];
