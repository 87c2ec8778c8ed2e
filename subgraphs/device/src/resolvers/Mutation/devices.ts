import { badInput, conflict, createDeviceToken, notFound, requireTenant, validate, validId } from '@ump/core';
import type { Prisma } from '@ump/db';
import type { DeviceContext } from '../../context';
import { deviceCredentialCacheKey, deviceCredentialRevokedChannel } from '@ump/core';
import { deviceLastSeenKey } from '@ump/core';
import { deviceStore } from '../../data/devices';
import { attributes, createDeviceInput, updateDeviceInput } from '../inputs';

async function assertProfileInScope(ctx: DeviceContext, profileId: string | null | undefined, field: string) {
  if (profileId && !(await ctx.loaders.profile.load(profileId))) throw badInput(field, 'no such device profile');
}

/** Creates a device and its access token; the token is returned once and stored hashed. */
export async function createDevice(_: unknown, args: { input: unknown }, ctx: DeviceContext) {
  const { tenantId } = requireTenant(ctx.identity, 'OPERATOR', 'create devices');
  const input = validate(createDeviceInput, args.input, 'input');
  await assertProfileInScope(ctx, input.profileId, 'input.profileId');
  const { token, tokenHash } = createDeviceToken();
  const device = await deviceStore.create(
    ctx.db,
    tenantId,
    {
      name: input.name,
      profileId: input.profileId ?? null,
      labels: input.labels ?? [],
      attributes: (input.attributes ?? {}) as Prisma.InputJsonObject,
    },
    tokenHash,
  );
  return { device, accessToken: token };
}

export async function updateDevice(_: unknown, args: { id: string; input: unknown }, ctx: DeviceContext) {
  requireTenant(ctx.identity, 'OPERATOR', 'change devices');
  const id = validId(args.id);
  const input = validate(updateDeviceInput, args.input, 'input');
  await assertProfileInScope(ctx, input.profileId, 'input.profileId');
  const device = await deviceStore.update(ctx.db, id, input);
  if (!device) throw notFound('Device', 'id');
  return device;
}

/** Deletes a device; its token stops working at once at the intake (its cache entry is evicted). */
export async function deleteDevice(_: unknown, args: { id: string }, ctx: DeviceContext) {
  requireTenant(ctx.identity, 'OPERATOR', 'delete devices');
  const id = validId(args.id);
  const removed = await deviceStore.remove(ctx.db, id);
  if (!removed) throw notFound('Device', 'id');
  await evict(ctx, [...(removed.tokenHash ? [deviceCredentialCacheKey(removed.tokenHash)] : []), deviceLastSeenKey(id)]);
  if (removed.tokenHash) await announceRevoked(ctx, removed.tokenHash);
  return id;
}

const MERGE_ATTEMPTS = 3;

/**
 * Merges attributes (null removes a key). Optimistic: the write succeeds only if nobody
 * changed the device since it was read, so two concurrent merges never lose each other's keys.
 */
export async function updateDeviceAttributes(_: unknown, args: { id: string; attributes: unknown }, ctx: DeviceContext) {
  requireTenant(ctx.identity, 'OPERATOR', 'change devices');
  const id = validId(args.id);
  const patch = validate(attributes, args.attributes, 'attributes');
  for (let attempt = 0; attempt < MERGE_ATTEMPTS; attempt++) {
    const [current] = await deviceStore.byIds(ctx.db, [id]);
    if (!current) throw notFound('Device', 'id');
    const merged: Record<string, unknown> = { ...(current.attributes as Record<string, unknown>), ...patch };
    for (const [key, value] of Object.entries(patch)) if (value === null) delete merged[key];
    validate(attributes, merged, 'attributes');
    const updated = await deviceStore.update(ctx.db, id, { attributes: merged as Prisma.InputJsonObject }, current.updatedAt);
    if (updated) return updated;
  }
  throw conflict('The device changed while its attributes were being merged; try again', 'attributes');
}

/**
 * New token; the old one stops working at once at the intake, whose cache entry for it is
 * evicted after the commit (without a shared cache, within the intake's credential TTL).
 */
export async function rotateDeviceToken(_: unknown, args: { id: string }, ctx: DeviceContext) {
  requireTenant(ctx.identity, 'OPERATOR', 'rotate device tokens');
  const id = validId(args.id);
  const { token, tokenHash } = createDeviceToken();
  const rotated = await deviceStore.rotateToken(ctx.db, id, tokenHash);
  if (!rotated) throw notFound('Device', 'id');
  await evict(ctx, [deviceCredentialCacheKey(rotated.oldTokenHash)]);
  await announceRevoked(ctx, rotated.oldTokenHash);
  const device = await ctx.loaders.device.load(id);
  return { device, accessToken: token };
}

/**
 * Deletes cache entries after a committed change. A cache failure is logged, not thrown:
 * the change is done, and the intake's TTL still bounds how long the entry lives.
 */
async function evict(ctx: DeviceContext, keys: string[]) {
  try {
    await ctx.deps.cache.del(...keys);
  } catch (error) {
    ctx.deps.logger.warn({ err: error }, 'could not evict device cache entries; they expire with their TTL');
  }
}

/**
 * Tells every intake that a token was revoked, so its live MQTT connections close at once.
 * Logged, not thrown, like evict: connections re-check their token periodically anyway.
 */
async function announceRevoked(ctx: DeviceContext, tokenHash: string) {
  try {
    await ctx.deps.cache.publish(deviceCredentialRevokedChannel, tokenHash);
  } catch (error) {
    ctx.deps.logger.warn({ err: error }, 'could not announce a revoked device token; open connections re-check it periodically');
  }
}
