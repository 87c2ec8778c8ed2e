import type { RolloutTarget } from '@ump/core';
import type { Prisma, TenantDb } from '@ump/db';

/**
 * The devices of the scoped tenant a rollout's target matches now: its profile, every
 * label, or its list; and, when the firmware names profiles, only devices of one of them.
 */
export function targetWhere(target: RolloutTarget, firmwareProfileIds: readonly string[]): Prisma.DeviceWhereInput {
  const matches: Prisma.DeviceWhereInput =
    target.profileId !== undefined
      ? { profileId: target.profileId }
      : target.labels !== undefined
        ? { labels: { hasEvery: target.labels } }
        : { id: { in: target.deviceIds ?? [] } };
  return firmwareProfileIds.length > 0 ? { AND: [matches, { profileId: { in: [...firmwareProfileIds] } }] } : matches;
}

export const targetStore = {
  count: (db: TenantDb, target: RolloutTarget, firmwareProfileIds: readonly string[]) =>
    db.device.count({ where: targetWhere(target, firmwareProfileIds) }),

  /** Of `ids`, those that are devices of the scoped tenant, with their profile. */
  devices: (db: TenantDb, ids: readonly string[]) =>
    db.device.findMany({ where: { id: { in: [...ids] } }, select: { id: true, profileId: true } }),

  /** Of `ids`, those that are device profiles of the scoped tenant. */
  async profileIds(db: TenantDb, ids: readonly string[]) {
    const rows = await db.deviceProfile.findMany({ where: { id: { in: [...ids] } }, select: { id: true } });
    return new Set(rows.map((row) => row.id));
  },
};
