import { decodeCursor, notFound, pageSize, requireTenant, toConnection, validate, validId } from '@ump/core';
import type { DeviceContext } from '../context';
import { deviceStore, type DeviceFilter } from '../data/devices';
import { profileStore } from '../data/profiles';
import { deviceFilter } from './inputs';

type PageArgs = { first?: number | null; after?: string | null; filter?: unknown };

/** A page of devices in the caller's scope, optionally narrowed to one tenant. */
export async function devicesPage(ctx: DeviceContext, args: PageArgs, tenantId?: string) {
  const size = pageSize(args.first);
  const filter: DeviceFilter = { ...validate(deviceFilter, args.filter ?? {}, 'filter'), tenantId } as DeviceFilter;
  const { rows, total } = await deviceStore.page(ctx.db, filter, size, decodeCursor('Device', args.after));
  return toConnection('Device', rows, size, total);
}

export const Query = {
  async device(_: unknown, args: { id: string }, ctx: DeviceContext) {
    requireTenant(ctx.identity);
    const device = await ctx.loaders.device.load(validId(args.id));
    if (!device) throw notFound('Device', 'id');
    return device;
  },

  devices(_: unknown, args: PageArgs, ctx: DeviceContext) {
    requireTenant(ctx.identity);
    return devicesPage(ctx, args);
  },

  async deviceProfile(_: unknown, args: { id: string }, ctx: DeviceContext) {
    requireTenant(ctx.identity);
    const profile = await ctx.loaders.profile.load(validId(args.id));
    if (!profile) throw notFound('Device profile', 'id');
    return profile;
  },

  deviceProfiles(_: unknown, __: unknown, ctx: DeviceContext) {
    requireTenant(ctx.identity);
    return profileStore.list(ctx.db);
  },
};
