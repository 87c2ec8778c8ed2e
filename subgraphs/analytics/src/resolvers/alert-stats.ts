import { requireTenant, type AlertStats } from '@ump/core';
import type { AnalyticsContext } from '../context';
import { statsWindow } from './inputs';

const none: AlertStats = { raised: 0, bySeverity: [], byRule: [], mttaSeconds: null, mttrSeconds: null, open: 0 };

/**
 * `Tenant.alertStats`: the caller's own tenant from the signed identity, whatever tenant
 * the reference names. The window is validated like `telemetryStats` (BAD_USER_INPUT on `to`
 * when it is not after `from`, on `from` past 366 days).
 */
export async function alertStats(tenant: { id: string }, args: { from: Date; to: Date }, ctx: AnalyticsContext) {
  const { tenantId } = requireTenant(ctx.identity);
  const window = statsWindow(args);
  // Another tenant's stats are simply empty for this caller; never query them.
  if (tenant.id !== tenantId) return { ...window, ...none };
  return { ...window, ...(await ctx.deps.store.alertHistory.stats({ tenantId, ...window })) };
}
