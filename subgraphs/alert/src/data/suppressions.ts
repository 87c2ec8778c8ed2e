import type { Prisma, TenantDb } from '@ump/db';
import { ruleTargetSchema, uuidv7, type RuleTarget } from '@ump/core';
import type { Tx } from './alerts';

export interface SuppressionData {
  name: string;
  target: RuleTarget;
  startsAt: Date;
  endsAt: Date | null;
  reason: string | null;
}

/** The device fields a target matches on. */
export interface DeviceFacts {
  id: string;
  profileId: string | null;
  labels: string[];
}

/** Whether a rule or suppression target covers the device. */
export function targetCovers(target: RuleTarget, device: DeviceFacts): boolean {
  if ('deviceId' in target) return target.deviceId === device.id;
  if ('profileId' in target) return device.profileId !== null && target.profileId === device.profileId;
  return target.labels.every((label) => device.labels.includes(label));
}

/** Suppressions (maintenance windows) of the scoped tenant. */
export const suppressionStore = {
  create: (db: TenantDb, tenantId: string, data: SuppressionData, createdById: string | null) =>
    db.suppression.create({ data: { ...data, target: data.target as Prisma.InputJsonObject, id: uuidv7(), tenantId, createdById } }),

  async remove(db: TenantDb, id: string) {
    const { count } = await db.suppression.deleteMany({ where: { id } });
    return count > 0;
  },

  /** Newest first; ended ones included (they are the maintenance log). */
  list: (db: TenantDb) => db.suppression.findMany({ orderBy: { startsAt: 'desc' }, take: 500 }),

  /**
   * Whether a suppression active at `at` covers the device. A device that no longer exists
   * is matched by id only.
   */
  async covers(db: TenantDb | Tx, deviceId: string, at: Date): Promise<boolean> {
    const active = await db.suppression.findMany({
      where: { startsAt: { lte: at }, OR: [{ endsAt: null }, { endsAt: { gt: at } }] },
      select: { target: true },
    });
    if (active.length === 0) return false;
    const device = await db.device.findUnique({ where: { id: deviceId }, select: { id: true, profileId: true, labels: true } });
    const facts: DeviceFacts = device ?? { id: deviceId, profileId: null, labels: [] };
    return active.some((row) => {
      const target = ruleTargetSchema.safeParse(row.target);
      return target.success && targetCovers(target.data, facts);
    });
  },
};

export type SuppressionRow = Awaited<ReturnType<typeof suppressionStore.list>>[number];
