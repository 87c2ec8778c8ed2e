import { badInput, fields, notFound, requireTenant, validate, validId, type RolloutSpec } from '@ump/core';
import type { OtaContext } from '../../context';
import type { FirmwareRow } from '../../data/firmware';
import { rolloutStore } from '../../data/rollouts';
import { targetStore } from '../../data/targets';
import type { RolloutActions } from '../../engine/types';
import { reasonText, toRolloutSpec } from '../inputs';
import { actorOf } from '../types';

interface CreateRolloutInput {
  name?: string | null;
  firmwareId?: string | null;
  target?: unknown;
  stages?: unknown;
  gates?: unknown;
  retry?: unknown;
}

const outsideFirmware = 'is not one of the device profiles the firmware is built for';

/**
 * The target must name the caller tenant's devices or profile, and fit the firmware when it
 * names profiles: BAD_USER_INPUT on `input.target.profileId` / `input.target.deviceIds.<i>`.
 */
async function checkTarget(ctx: OtaContext, spec: RolloutSpec, firmware: FirmwareRow) {
  const allowed = new Set(firmware.profileIds);
  const { profileId, deviceIds } = spec.target;
  if (profileId !== undefined) {
    if (!(await targetStore.profileIds(ctx.db, [profileId])).has(profileId)) throw badInput('input.target.profileId', 'no such device profile');
    if (allowed.size > 0 && !allowed.has(profileId)) throw badInput('input.target.profileId', outsideFirmware);
  }
  if (deviceIds !== undefined) {
    const devices = new Map((await targetStore.devices(ctx.db, deviceIds)).map((d) => [d.id, d]));
    deviceIds.forEach((id, i) => {
      const device = devices.get(id);
      if (!device) throw badInput(`input.target.deviceIds.${i}`, 'no such device');
      if (allowed.size > 0 && !(device.profileId && allowed.has(device.profileId))) throw badInput(`input.target.deviceIds.${i}`, `the device's profile ${outsideFirmware}`);
    });
  }
}

/** OPERATOR. A DRAFT rollout; nothing is assigned until startRollout. */
export async function createRollout(_: unknown, args: { input: CreateRolloutInput }, ctx: OtaContext) {
  const { tenantId, caller } = requireTenant(ctx.identity, 'OPERATOR', 'create rollouts');
  const input = args.input ?? {};
  const name = validate(fields.name, input.name, 'input.name');
  const firmwareId = validId(input.firmwareId, 'input.firmwareId');
  const spec = toRolloutSpec(input);
  if (spec.target.deviceIds) spec.target.deviceIds = [...new Set(spec.target.deviceIds)];
  const firmware = await ctx.loaders.firmware.load(firmwareId);
  if (!firmware) throw notFound('Firmware', 'input.firmwareId');
  await checkTarget(ctx, spec, firmware);
  return rolloutStore.create(ctx.db, tenantId, { name, firmwareId, spec }, actorOf(caller));
}

type Action = keyof RolloutActions;

/**
 * Hands an operator action to the engine and returns the rollout as it is afterwards. The
 * engine checks tenant, role and state itself under the rollout's lock; the rollout is looked
 * up here first too, so a rollout out of the caller's scope is NOT_FOUND whatever the engine.
 */
function action(name: Action, what: string) {
  return async (_: unknown, args: { id: string; reason?: string | null }, ctx: OtaContext) => {
    requireTenant(ctx.identity, 'OPERATOR', what);
    const rolloutId = validId(args.id);
    const reason = validate(reasonText, args.reason, 'reason') ?? undefined;
    if (!(await ctx.loaders.rollout.load(rolloutId))) throw notFound('Rollout', 'id');
    await ctx.deps.engine[name]({ identity: ctx.identity, rolloutId, reason });
    ctx.loaders.rollout.clear(rolloutId);
    const rollout = await ctx.loaders.rollout.load(rolloutId);
    if (!rollout) throw notFound('Rollout', 'id');
    return rollout;
  };
}

export const startRollout = action('start', 'start rollouts');
export const pauseRollout = action('pause', 'pause rollouts');
export const resumeRollout = action('resume', 'resume rollouts');
export const approveRolloutStage = action('approve', 'approve rollout stages');
export const rejectRolloutStage = action('reject', 'reject rollout stages');
export const abortRollout = action('abort', 'abort rollouts');
export const rollbackRollout = action('rollback', 'roll back rollouts');
export const cancelRollout = action('cancel', 'cancel rollouts');
