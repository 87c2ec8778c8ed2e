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
   * Devices that still need the firmware: their device_firmware row names it as current
   * (the intake serves it to them), previous or target firmware, or one of their rollout
   * assignments would roll back to it (rollout_devices.previous_firmware_id).
   */
  async deviceReferences(db: TenantDb, id: string) {
    const [devices, rollbackTargets] = await Promise.all([
      db.deviceFirmware.count({ where: { OR: [{ currentFirmwareId: id }, { previousFirmwareId: id }, { targetFirmwareId: id }] } }),
      db.rolloutDevice.count({ where: { previousFirmwareId: id } }),
    ]);
    return { devices, rollbackTargets };
  },

  /**
   * Deletes the row; false when it is not in scope. CONFLICT when anything still refers to
   * it: the foreign keys (rollouts, device_firmware, rollout_devices) are the backstop for a
   * rollout created or a device report stored after the caller's checks.
   */
  async remove(db: TenantDb, id: string) {
    try {
      const { count } = await db.firmware.deleteMany({ where: { id } });
      return count > 0;
    } catch (error) {
      if (isForeignKeyViolation(error)) throw referredTo();
      throw error;
    }
  },
};

export const inUse = () => conflict('A rollout uses this firmware; it can be deleted once no rollout refers to it', 'id');
const referredTo = () =>
  conflict('A rollout or a device (running it, having run it, assigned it or rolling back to it) refers to this firmware; it can be deleted once nothing does', 'id');

/** CONFLICT on `id` for firmwareStore.deviceReferences' counts; null when nothing refers to it. */
export function neededByDevices(references: { devices: number; rollbackTargets: number }) {
  const { devices, rollbackTargets } = references;
  if (devices > 0) {
    const [who, is] = devices === 1 ? ['1 device runs', 'is'] : [`${devices} devices run`, 'are'];
    return conflict(`${who} this firmware, ran it before the last update or ${is} assigned it; deleting it would break a download or a later rollback`, 'id');
  }
  if (rollbackTargets > 0) {
    const what = rollbackTargets === 1 ? '1 rollout assignment' : `${rollbackTargets} rollout assignments`;
    return conflict(`${what} would roll a device back to this firmware; deleting it would break that rollback`, 'id');
  }
  return null;
}

export type FirmwareRow = Awaited<ReturnType<typeof firmwareStore.byIds>>[number];
