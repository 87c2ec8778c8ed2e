import DataLoader from 'dataloader';
import { batchById } from '@ump/core';
import type { TenantDb } from '@ump/db';
import { deviceStore, type DeviceRow } from './data/devices';
import { profileStore, type ProfileRow } from './data/profiles';

/** Fresh per request: a loader never outlives its caller's scope. */
export function createLoaders(db: TenantDb) {
  return {
    device: new DataLoader<string, DeviceRow | null>(batchById((ids) => deviceStore.byIds(db, ids))),
    profile: new DataLoader<string, ProfileRow | null>(batchById((ids) => profileStore.byIds(db, ids))),
    deviceCount: new DataLoader<string, number>(async (ids) => {
      const counts = await profileStore.deviceCounts(db, ids);
      return ids.map((id) => counts.get(id) ?? 0);
    }),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
