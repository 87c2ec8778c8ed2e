import type { AlertRuleDefinition, Logger } from '@ump/core';
import { allTenants, type PrismaClient } from '@ump/db';
import { parseRuleRow } from './rule-set';

const columns = { id: true, tenantId: true, name: true, severity: true, target: true, spec: true, version: true } as const;

/**
 * Reads rules from `alert_rules` across tenants (the worker serves every tenant). A row
 * whose target or spec fails validation is logged, reported to `onInvalid` and skipped.
 */
export function createRuleSource(prisma: PrismaClient, logger: Logger, onInvalid: () => void) {
  const db = allTenants(prisma);
  const valid = (row: { id: string; tenantId: string }): AlertRuleDefinition | undefined => {
    const parsed = parseRuleRow(row);
    if (parsed.ok) return parsed.rule;
    logger.warn({ ruleId: row.id, tenantId: row.tenantId, reason: parsed.reason }, 'stored alert rule is invalid: skipped');
    onInvalid();
    return undefined;
  };
  return {
    /** Every enabled, valid rule of every tenant. */
    async all(): Promise<AlertRuleDefinition[]> {
      const rows = await db.alertRule.findMany({ where: { enabled: true }, select: columns });
      return rows.flatMap((row) => valid(row) ?? []);
    },
    /** One rule of a tenant, or undefined when it is gone, disabled or invalid. */
    async one(tenantId: string, ruleId: string): Promise<AlertRuleDefinition | undefined> {
      const row = await db.alertRule.findFirst({ where: { id: ruleId, tenantId, enabled: true }, select: columns });
      return row ? valid(row) : undefined;
    },
  };
}
