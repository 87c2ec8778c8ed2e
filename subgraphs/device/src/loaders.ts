import DataLoader from 'dataloader';
import { batchById, type Cache } from '@ump/core';
import { deviceLastSeenKey, parseLastSeen } from '@ump/core';
import type { TenantDb } from '@ump/db';
import { deviceStore, type DeviceRow } from './data/devices';
import { profileStore, type ProfileRow } from './data/profiles';

/** Fresh per request: a loader never outlives its caller's scope. */
export function createLoaders(db: TenantDb, cache: Cache) {
  return {
    // Last-seen times live in the cache (the intake writes them); one read per device,
    // issued together, so a page of devices costs one round of concurrent cache reads.
    lastSeen: new DataLoader<string, number | null>((ids) =>
      Promise.all(ids.map(async (id) => parseLastSeen(await cache.get(deviceLastSeenKey(id))))),
    ),
    device: new DataLoader<string, DeviceRow | null>(batchById((ids) => deviceStore.byIds(db, ids))),
    profile: new DataLoader<string, ProfileRow | null>(batchById((ids) => profileStore.byIds(db, ids))),
    deviceCount: new DataLoader<string, number>(async (ids) => {
      const counts = await profileStore.deviceCounts(db, ids);
      return ids.map((id) => counts.get(id) ?? 0);
    }),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
