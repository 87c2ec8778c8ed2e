import { requireTenant, type FirmwareAlertRate, type RolloutStageStats } from '@ump/core';
import { z } from 'zod';
import type { AnalyticsContext } from '../context';
import { statsWindow } from './inputs';

const uuid = z.string().uuid();

/**
 * `Rollout.stageStats`: read for the caller's own tenant from the signed identity, so a
 * rollout of another tenant (or an id that is no rollout id at all) has no stages.
 */
export async function stageStats(rollout: { id: string }, _: unknown, ctx: AnalyticsContext): Promise<RolloutStageStats[]> {
  const { tenantId } = requireTenant(ctx.identity);
  if (!uuid.safeParse(rollout.id).success) return [];
  return ctx.deps.store.rolloutHistory.stageStats({ tenantId, rolloutId: rollout.id });
}

/**
 * `Tenant.firmwareAlertRates`: the caller's own tenant from the signed identity, whatever
 * tenant the reference names (another tenant's rates are simply empty). The window is
 * validated like `alertStats` (BAD_USER_INPUT on `to` when it is not after `from`, on
 * `from` past 366 days).
 */
export async function firmwareAlertRates(
  tenant: { id: string },
  args: { from: Date; to: Date },
  ctx: AnalyticsContext,
): Promise<FirmwareAlertRate[]> {
  const { tenantId } = requireTenant(ctx.identity);
  const window = statsWindow(args);
  if (tenant.id !== tenantId) return [];
  return ctx.deps.store.rolloutHistory.firmwareAlertRates({ tenantId, ...window });
}
