import { notFound, requireTenant, validate, validId } from '@ump/core';
import type { DeviceContext } from '../../context';
import { profileStore } from '../../data/profiles';
import { profileInput, updateProfileInput } from '../inputs';

export function createDeviceProfile(_: unknown, args: { input: unknown }, ctx: DeviceContext) {
  const { tenantId } = requireTenant(ctx.identity, 'OPERATOR', 'create device profiles');
  return profileStore.create(ctx.db, tenantId, validate(profileInput, args.input, 'input'));
}

export async function updateDeviceProfile(_: unknown, args: { id: string; input: unknown }, ctx: DeviceContext) {
  requireTenant(ctx.identity, 'OPERATOR', 'change device profiles');
  const id = validId(args.id);
  const profile = await profileStore.update(ctx.db, id, validate(updateProfileInput, args.input, 'input'));
  if (!profile) throw notFound('Device profile', 'id');
  return profile;
}

export async function deleteDeviceProfile(_: unknown, args: { id: string }, ctx: DeviceContext) {
  requireTenant(ctx.identity, 'OPERATOR', 'delete device profiles');
  const id = validId(args.id);
  if (!(await profileStore.remove(ctx.db, id))) throw notFound('Device profile', 'id');
  return id;
}
