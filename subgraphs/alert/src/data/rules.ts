import { isUniqueViolation, type Prisma, type TenantDb } from '@ump/db';
import { conflict, uuidv7, type RuleSpec, type RuleTarget, type Severity } from '@ump/core';

export interface RuleFilter {
  search?: string | null;
  enabled?: boolean | null;
  severity?: Severity | null;
}

export interface RuleData {
  name: string;
  description: string | null;
  severity: Severity;
  enabled: boolean;
  target: RuleTarget;
  spec: RuleSpec;
}

const nameTaken = (name: string) => conflict(`An alert rule named "${name}" already exists`, 'input.name');

function whereOf(filter: RuleFilter): Prisma.AlertRuleWhereInput {
  return {
    ...(filter.search ? { name: { contains: filter.search, mode: 'insensitive' } } : {}),
    ...(typeof filter.enabled === 'boolean' ? { enabled: filter.enabled } : {}),
    ...(filter.severity ? { severity: filter.severity } : {}),
  };
}

const json = (value: unknown) => value as Prisma.InputJsonObject;

/** Alert rules of the scoped tenant. */
export const ruleStore = {
  async create(db: TenantDb, tenantId: string, data: RuleData, createdById: string | null) {
    try {
      return await db.alertRule.create({
        data: { ...data, target: json(data.target), spec: json(data.spec), id: uuidv7(), tenantId, createdById },
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(data.name);
      throw error;
    }
  },

  /** Replaces the rule's fields and bumps its version; null when it is not in scope. */
  async update(db: TenantDb, id: string, data: RuleData) {
    try {
      const { count } = await db.alertRule.updateMany({
        where: { id },
        data: { ...data, target: json(data.target), spec: json(data.spec), version: { increment: 1 } },
      });
      return count === 0 ? null : db.alertRule.findUnique({ where: { id } });
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(data.name);
      throw error;
    }
  },

  /** Deletes the rule (its alerts go with it); false when it is not in scope. */
  async remove(db: TenantDb, id: string) {
    const { count } = await db.alertRule.deleteMany({ where: { id } });
    return count > 0;
  },

  byIds: (db: TenantDb, ids: readonly string[]) => db.alertRule.findMany({ where: { id: { in: [...ids] } } }),

  async page(db: TenantDb, filter: RuleFilter, size: number, afterId?: string) {
    const where = whereOf(filter);
    const [rows, total] = await Promise.all([
      db.alertRule.findMany({
        where: afterId ? { AND: [where, { id: { gt: afterId } }] } : where,
        orderBy: { id: 'asc' },
        take: size + 1,
      }),
      db.alertRule.count({ where }),
    ]);
    return { rows, total };
  },
};

export type RuleRow = Awaited<ReturnType<typeof ruleStore.byIds>>[number];
