import { badInput, type RuleTarget } from '@ump/core';
import type { AlertContext } from '../context';

/**
 * A target must name a device or profile of the caller's tenant (looked up through the
 * scoped client): BAD_USER_INPUT on `input.deviceId` / `input.profileId` otherwise.
 */
export async function assertTargetInScope(ctx: AlertContext, target: RuleTarget) {
  if ('deviceId' in target && !(await ctx.db.device.findUnique({ where: { id: target.deviceId }, select: { id: true } }))) {
    throw badInput('input.deviceId', 'no such device');
  }
  if ('profileId' in target && !(await ctx.db.deviceProfile.findUnique({ where: { id: target.profileId }, select: { id: true } }))) {
    throw badInput('input.profileId', 'no such device profile');
  }
}
