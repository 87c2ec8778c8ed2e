import type { RolloutTarget } from '@ump/core';
import type { Tx } from './context';

/**
 * Ids of the devices a rollout targets, of the transaction's tenant only, in id order so that
 * every pass (and a restarted engine) picks the same devices. Re-read at every pass: devices
 * that join the profile or get the labels later are included. A firmware built for some
 * profiles only targets devices of those profiles.
 */
export async function targetedDeviceIds(tx: Tx, target: RolloutTarget, firmwareProfileIds: readonly string[]): Promise<string[]> {
  const where = target.profileId !== undefined
    ? { profileId: target.profileId }
    : target.labels !== undefined
      ? { labels: { hasEvery: target.labels } }
      : { id: { in: target.deviceIds ?? [] } };
  const profiles = firmwareProfileIds.length > 0 ? { profileId: { in: [...firmwareProfileIds] } } : {};
  const rows = await tx.device.findMany({ where: { AND: [where, profiles] }, select: { id: true }, orderBy: { id: 'asc' } });
  return rows.map((row) => row.id);
}
