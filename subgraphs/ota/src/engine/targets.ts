import type { RolloutTarget } from '@ump/core';
import { targetWhere } from '../data/targets';
import type { Tx } from './context';

/**
 * Ids of the devices a rollout targets, of the transaction's tenant only, in id order so that
 * every pass (and a restarted engine) picks the same devices. Re-read at every pass: devices
 * that join the profile or get the labels later are included. A firmware built for some
 * profiles only targets devices of those profiles.
 */
export async function targetedDeviceIds(tx: Tx, target: RolloutTarget, firmwareProfileIds: readonly string[]): Promise<string[]> {
  // The same filter the subgraph counts targets with, so its counts match what is assigned.
  const rows = await tx.device.findMany({ where: targetWhere(target, firmwareProfileIds), select: { id: true }, orderBy: { id: 'asc' } });
  return rows.map((row) => row.id);
}
