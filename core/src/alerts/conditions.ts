import { z } from 'zod';

/** Alert severities, most severe first. */
export const severities = ['CRITICAL', 'MAJOR', 'MINOR', 'WARNING', 'INFO'] as const;
export type Severity = (typeof severities)[number];

/** Higher is more severe: CRITICAL 5 … INFO 1. */
export function severityRank(severity: Severity): number {
  return severities.length - severities.indexOf(severity);
}

export const comparisonOps = ['GT', 'GTE', 'LT', 'LTE', 'EQ', 'NEQ'] as const;
export type ComparisonOp = (typeof comparisonOps)[number];

const key = z.string().min(1).max(128);
const seconds = z.number().int().positive().max(30 * 24 * 3600);

/** `key op value`: numbers compare numerically; strings and booleans only with EQ / NEQ. */
const compare = z
  .object({ key, op: z.enum(comparisonOps), value: z.union([z.number().finite(), z.string().max(1024), z.boolean()]) })
  .strict()
  .refine((c) => typeof c.value === 'number' || c.op === 'EQ' || c.op === 'NEQ', {
    message: 'only EQ and NEQ compare strings or booleans',
    path: ['op'],
  });

/** The value lies inside [min, max] (IN_RANGE) or outside it (OUT_OF_RANGE). */
const range = z
  .object({ key, op: z.enum(['IN_RANGE', 'OUT_OF_RANGE']), min: z.number().finite(), max: z.number().finite() })
  .strict()
  .refine((c) => c.min <= c.max, { message: 'min must not exceed max', path: ['max'] });

/** Rate of change between consecutive points of `key`, in units per second, above / below `value`. */
const rate = z.object({ key, op: z.enum(['RATE_GT', 'RATE_LT']), value: z.number().finite() }).strict();

/** No point (of `key`, or of any key when absent) for `seconds`: the device is silent. */
const noData = z.object({ op: z.literal('NO_DATA'), seconds, key: key.optional() }).strict();

export type LeafCondition =
  | { key: string; op: ComparisonOp; value: number | string | boolean }
  | { key: string; op: 'IN_RANGE' | 'OUT_OF_RANGE'; min: number; max: number }
  | { key: string; op: 'RATE_GT' | 'RATE_LT'; value: number }
  | { op: 'NO_DATA'; seconds: number; key?: string };

/** A leaf, or every (`all`) / at least one (`any`) of several conditions. */
export type Condition = LeafCondition | { all: Condition[] } | { any: Condition[] };

const leaf = z.union([compare, range, rate, noData]);
export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    leaf,
    z.object({ all: z.array(conditionSchema).min(1).max(20) }).strict(),
    z.object({ any: z.array(conditionSchema).min(1).max(20) }).strict(),
  ]),
) as z.ZodType<Condition>;

/**
 * Everything the rule worker needs to evaluate a rule, stored as JSON on the rule row
 * (`alert_rules.spec`) and validated with this schema on write and on read.
 */
export const ruleSpecSchema = z
  .object({
    /** Raise when this holds … */
    condition: conditionSchema,
    /** … continuously for this long (0 / absent: at once) … */
    forSeconds: z.number().int().min(0).max(7 * 24 * 3600).optional(),
    /** … or, instead, holds for `count` points within `windowSeconds`. */
    repeat: z.object({ count: z.number().int().min(2).max(10_000), windowSeconds: seconds }).strict().optional(),
    /**
     * Clear when this holds (hysteresis): e.g. raise at > 80, clear at < 75. Absent: clear
     * as soon as `condition` no longer holds.
     */
    clearCondition: conditionSchema.optional(),
    /** The clear condition must hold this long before the alert clears. */
    clearForSeconds: z.number().int().min(0).max(7 * 24 * 3600).optional(),
    /** Raise the severity when the alert stays active: steps in increasing `afterSeconds`. */
    escalation: z
      .array(z.object({ afterSeconds: seconds, severity: z.enum(severities) }).strict())
      .max(5)
      .optional(),
  })
  .strict()
  .refine((s) => !(s.forSeconds && s.repeat), { message: 'use forSeconds or repeat, not both', path: ['repeat'] });
export type RuleSpec = z.infer<typeof ruleSpecSchema>;

/** Which devices a rule watches: one device, a profile, or every device carrying all labels. */
export const ruleTargetSchema = z.union([
  z.object({ deviceId: z.string().uuid() }).strict(),
  z.object({ profileId: z.string().uuid() }).strict(),
  z.object({ labels: z.array(z.string().min(1).max(128)).min(1).max(20) }).strict(),
]);
export type RuleTarget = z.infer<typeof ruleTargetSchema>;

/** A rule as the rule worker sees it. */
export interface AlertRuleDefinition {
  id: string;
  tenantId: string;
  name: string;
  severity: Severity;
  target: RuleTarget;
  spec: RuleSpec;
  /** Bumped on every change; the worker resets a rule's per-device state when it changes. */
  version: number;
}
