import { requireCaller, forbidden, type Caller } from '@ump/core';
import { DEFAULT_INACTIVITY_TIMEOUT_SECONDS, isOnline } from '@ump/core';
import type { DeviceContext } from '../context';
import type { DeviceRow } from '../data/devices';
import type { ProfileRow } from '../data/profiles';
import { profileStore } from '../data/profiles';
import { devicesPage } from './Query';

type Ref = { id: string };

/** A tenant's own users see their tenant; platform admins see every tenant. */
function assertSeesTenant(caller: Caller, tenantId: string) {
  if (caller.tenantId !== tenantId && caller.role !== 'PLATFORM_ADMIN') throw forbidden('Not your tenant');
}

export const Tenant = {
  devices(tenant: Ref, args: { first?: number; after?: string; filter?: unknown }, ctx: DeviceContext) {
    assertSeesTenant(requireCaller(ctx.identity), tenant.id);
    return devicesPage(ctx, args, tenant.id);
  },
  deviceProfiles(tenant: Ref, _: unknown, ctx: DeviceContext) {
    assertSeesTenant(requireCaller(ctx.identity), tenant.id);
    return profileStore.list(ctx.db, tenant.id);
  },
};

// `load()` is called without awaiting anything first, so that every reference of one
// `_entities` request lands in the same DataLoader batch.
export const Device = {
  __resolveReference: (ref: Ref, ctx: DeviceContext) => (requireCaller(ctx.identity), ctx.loaders.device.load(ref.id)),
  profile: (device: DeviceRow, _: unknown, ctx: DeviceContext) =>
    device.profileId ? ctx.loaders.profile.load(device.profileId) : null,
  tenant: (device: DeviceRow) => ({ id: device.tenantId }),
  async connectivity(device: DeviceRow, _: unknown, ctx: DeviceContext) {
    const [lastSeenAt, profile] = await Promise.all([
      ctx.loaders.lastSeen.load(device.id),
      device.profileId ? ctx.loaders.profile.load(device.profileId) : null,
    ]);
    const timeout = profile?.inactivityTimeoutSeconds ?? DEFAULT_INACTIVITY_TIMEOUT_SECONDS;
    return { online: isOnline(lastSeenAt, timeout, Date.now()), lastSeenAt: lastSeenAt === null ? null : new Date(lastSeenAt) };
  },
};

export const DeviceProfile = {
  __resolveReference: (ref: Ref, ctx: DeviceContext) => (requireCaller(ctx.identity), ctx.loaders.profile.load(ref.id)),
  deviceCount: (profile: ProfileRow, _: unknown, ctx: DeviceContext) => ctx.loaders.deviceCount.load(profile.id),
};
