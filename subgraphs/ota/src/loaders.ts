import DataLoader from 'dataloader';
import { batchById } from '@ump/core';
import type { TenantDb } from '@ump/db';
import { deviceFirmwareStore, type DeviceFirmwareRow } from './data/device-firmware';
import { firmwareStore, type FirmwareRow } from './data/firmware';
import { rolloutStore, specOf, type GateResultRow, type RolloutRow, type RolloutTransitionRow } from './data/rollouts';
import { targetStore } from './data/targets';

function groupBy<T, K extends keyof T>(rows: T[], key: K, ids: readonly T[K][]): T[][] {
  const groups = new Map<T[K], T[]>(ids.map((id) => [id, []]));
  for (const row of rows) groups.get(row[key])?.push(row);
  return ids.map((id) => groups.get(id)!);
}

/** Fresh per request: a loader never outlives its caller's scope. */
export function createLoaders(db: TenantDb) {
  const firmware = new DataLoader<string, FirmwareRow | null>(batchById((ids) => firmwareStore.byIds(db, ids)));
  return {
    firmware,
    rollout: new DataLoader<string, RolloutRow | null>(batchById((ids) => rolloutStore.byIds(db, ids))),
    /** By device id; null when the device has no row (or is not the caller's). */
    deviceFirmware: new DataLoader<string, DeviceFirmwareRow | null>(async (deviceIds) => {
      const rows = new Map((await deviceFirmwareStore.byDeviceIds(db, deviceIds)).map((row) => [row.deviceId, row]));
      return deviceIds.map((id) => rows.get(id) ?? null);
    }),
    /** Rollouts per firmware id. */
    rolloutCount: new DataLoader<string, number>(async (firmwareIds) => {
      const counts = await firmwareStore.rolloutCounts(db, firmwareIds);
      return firmwareIds.map((id) => counts.get(id) ?? 0);
    }),
    /** Device rows per status, per rollout id. */
    deviceCounts: new DataLoader<string, Map<string, number>>(async (rolloutIds) => {
      const rows = await rolloutStore.deviceCounts(db, rolloutIds);
      return groupBy(rows, 'rolloutId', rolloutIds).map((group) => new Map(group.map((g) => [g.status, g.count])));
    }),
    /**
     * Devices each rollout's target matches now. One count per distinct target (and
     * firmware profiles) in the batch, run together: lists of rollouts cost one round trip.
     */
    targeted: new DataLoader<RolloutRow, number, string>(
      async (rollouts) => {
        const firmwares = await firmware.loadMany(rollouts.map((r) => r.firmwareId));
        const keys = rollouts.map((rollout, i) => {
          const fw = firmwares[i];
          const profileIds = fw && !(fw instanceof Error) ? fw.profileIds : [];
          return { target: specOf(rollout).target, profileIds, key: JSON.stringify([specOf(rollout).target, profileIds]) };
        });
        const distinct = new Map(keys.map((k) => [k.key, k]));
        const counts = new Map(
          await Promise.all([...distinct.values()].map(async (k) => [k.key, await targetStore.count(db, k.target, k.profileIds)] as const)),
        );
        return keys.map((k) => counts.get(k.key)!);
      },
      { cacheKeyFn: (rollout) => rollout.id },
    ),
    transitions: new DataLoader<string, RolloutTransitionRow[]>(async (rolloutIds) =>
      groupBy(await rolloutStore.transitionsOf(db, rolloutIds), 'rolloutId', rolloutIds),
    ),
    gateResults: new DataLoader<string, GateResultRow[]>(async (rolloutIds) =>
      groupBy(await rolloutStore.gateResultsOf(db, rolloutIds), 'rolloutId', rolloutIds),
    ),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
