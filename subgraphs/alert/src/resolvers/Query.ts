import { decodeCursor, notFound, pageSize, requireTenant, severityRank, toConnection, validate, validId, type Severity } from '@ump/core';
import { z } from 'zod';
import type { AlertContext } from '../context';
import { alertStore } from '../data/alerts';
import { ruleStore } from '../data/rules';
import { suppressionStore } from '../data/suppressions';
import { alertFilter, ruleFilter, severity } from './inputs';

type PageArgs = { first?: number | null; after?: string | null; filter?: unknown };

const groupFilter = z.object({ severityAtLeast: severity.nullish(), activeOnly: z.boolean().nullish() });

// Device ids shown per incident group.
const GROUP_DEVICES = 5;

export const Query = {
  async alertRules(_: unknown, args: PageArgs, ctx: AlertContext) {
    requireTenant(ctx.identity);
    const size = pageSize(args.first);
    const filter = validate(ruleFilter, args.filter ?? {}, 'filter');
    const { rows, total } = await ruleStore.page(ctx.db, filter, size, decodeCursor('AlertRule', args.after));
    return toConnection('AlertRule', rows, size, total);
  },

  async alertRule(_: unknown, args: { id: string }, ctx: AlertContext) {
    requireTenant(ctx.identity);
    const rule = await ctx.loaders.rule.load(validId(args.id));
    if (!rule) throw notFound('Alert rule', 'id');
    return rule;
  },

  async alerts(_: unknown, args: PageArgs, ctx: AlertContext) {
    requireTenant(ctx.identity);
    const size = pageSize(args.first);
    const filter = validate(alertFilter, args.filter ?? {}, 'filter');
    const { rows, total } = await alertStore.page(ctx.db, filter, size, decodeCursor('Alert', args.after));
    return toConnection('Alert', rows, size, total);
  },

  async alert(_: unknown, args: { id: string }, ctx: AlertContext) {
    requireTenant(ctx.identity);
    const alert = await ctx.loaders.alert.load(validId(args.id));
    if (!alert) throw notFound('Alert', 'id');
    return alert;
  },

  /** Open alerts grouped by rule: the incident view, most severe (then most recent) first. */
  async alertGroups(_: unknown, args: { filter?: unknown }, ctx: AlertContext) {
    requireTenant(ctx.identity);
    const filter = validate(groupFilter, args.filter ?? {}, 'filter');
    const open = await alertStore.openAlerts(ctx.db, { activeOnly: filter.activeOnly ?? false, severityAtLeast: filter.severityAtLeast });
    const groups = new Map<string, { ruleId: string; count: number; highestSeverity: Severity; firstSeenAt: Date; lastSeenAt: Date; deviceIds: string[] }>();
    // Rows come most recently seen first, so the first device ids of a group are the latest.
    for (const alert of open) {
      const group = groups.get(alert.ruleId);
      const sev = alert.severity as Severity;
      if (!group) {
        groups.set(alert.ruleId, { ruleId: alert.ruleId, count: 1, highestSeverity: sev, firstSeenAt: alert.firstSeenAt, lastSeenAt: alert.lastSeenAt, deviceIds: [alert.deviceId] });
        continue;
      }
      group.count++;
      if (severityRank(sev) > severityRank(group.highestSeverity)) group.highestSeverity = sev;
      if (alert.firstSeenAt < group.firstSeenAt) group.firstSeenAt = alert.firstSeenAt;
      if (group.deviceIds.length < GROUP_DEVICES && !group.deviceIds.includes(alert.deviceId)) group.deviceIds.push(alert.deviceId);
    }
    return [...groups.values()].sort(
      (a, b) => severityRank(b.highestSeverity) - severityRank(a.highestSeverity) || b.lastSeenAt.getTime() - a.lastSeenAt.getTime(),
    );
  },

  suppressions(_: unknown, __: unknown, ctx: AlertContext) {
    requireTenant(ctx.identity);
    return suppressionStore.list(ctx.db);
  },
};
