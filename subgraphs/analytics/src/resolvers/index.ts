import { requireTenant, type Aggregation } from '@ump/core';
import type { AnalyticsContext } from '../context';
import { alertStats } from './alert-stats';
import { firmwareAlertRates, stageStats } from './rollout-stats';
import { seriesWindow, statsWindow } from './inputs';

type Ref = { id: string };

// The tenant always comes from the verified identity, never from the entity or arguments:
// a reference to another tenant's device simply finds no rows.
export const resolvers = {
  Device: {
    __resolveReference: (ref: Ref) => ({ id: ref.id }),
    async latest(device: Ref, _: unknown, ctx: AnalyticsContext) {
      const { tenantId } = requireTenant(ctx.identity);
      return ctx.deps.store.latest({ tenantId, deviceId: device.id });
    },
    async series(
      device: Ref,
      args: { key: string; from: Date; to: Date; bucket: string; agg: Aggregation },
      ctx: AnalyticsContext,
    ) {
      const { tenantId } = requireTenant(ctx.identity);
      const { key, bucketSeconds } = seriesWindow(args);
      return ctx.deps.store.series({ tenantId, deviceId: device.id, key, from: args.from, to: args.to, bucketSeconds, agg: args.agg });
    },
  },
  Tenant: {
    __resolveReference: (ref: Ref) => ({ id: ref.id }),
    async telemetryStats(tenant: Ref, args: { from?: Date | null; to?: Date | null }, ctx: AnalyticsContext) {
      const { tenantId } = requireTenant(ctx.identity);
      const window = statsWindow(args);
      // Another tenant's stats are simply empty for this caller; never query them.
      if (tenant.id !== tenantId) return { ...window, messages: 0, dataPoints: 0, activeDevices: 0 };
      return { ...window, ...(await ctx.deps.store.stats({ tenantId, ...window })) };
    },
    alertStats,
    firmwareAlertRates,
  },
  Rollout: {
    __resolveReference: (ref: Ref) => ({ id: ref.id }),
    stageStats,
  },
  AlertRuleCount: {
    // A reference the gateway resolves in the alert subgraph.
    rule: (count: { ruleId: string }) => ({ id: count.ruleId }),
  },
};
