import {
  badInput,
  fields,
  ruleSpecSchema,
  ruleTargetSchema,
  type Condition,
  type RuleSpec,
  type RuleTarget,
} from '@ump/core';
import { z } from 'zod';

/** `ConditionInput` as GraphQL hands it over (every field optional, JSON `value`). */
export interface ConditionInput {
  key?: string | null;
  op?: string | null;
  value?: unknown;
  min?: number | null;
  max?: number | null;
  seconds?: number | null;
  all?: ConditionInput[] | null;
  any?: ConditionInput[] | null;
}

const COMPARISONS = new Set(['GT', 'GTE', 'LT', 'LTE', 'EQ', 'NEQ']);
const CONDITION_FIELDS = ['key', 'value', 'min', 'max', 'seconds', 'all', 'any'] as const;
// The fields each op reads; any other field given is a mistake worth naming.
const USES: Record<string, readonly string[]> = {
  COMPARE: ['key', 'value'],
  IN_RANGE: ['key', 'min', 'max'],
  OUT_OF_RANGE: ['key', 'min', 'max'],
  RATE_GT: ['key', 'value'],
  RATE_LT: ['key', 'value'],
  NO_DATA: ['seconds', 'key'],
  ALL: ['all'],
  ANY: ['any'],
};
const MAX_DEPTH = 5;

const present = (value: unknown) => value !== undefined && value !== null;

function requireKey(input: ConditionInput, path: string): string {
  if (typeof input.key !== 'string' || input.key.length === 0) throw badInput(`${path}.key`, `is required for ${input.op}`);
  if (input.key.length > 128) throw badInput(`${path}.key`, 'must be at most 128 characters');
  return input.key;
}

function requireNumber(value: unknown, field: string, op: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw badInput(field, `${op} needs a number`);
  return value;
}

/**
 * Turns the flat GraphQL `ConditionInput` into the core `Condition` union, naming the field
 * of the first problem by its path (e.g. `input.condition.all.1.value`). `op` may be left
 * out when `all` or `any` is given.
 */
export function toCondition(input: ConditionInput, path: string, depth = 1): Condition {
  if (depth > MAX_DEPTH) throw badInput(path, `conditions nest at most ${MAX_DEPTH} levels deep`);
  const op = input.op ?? (present(input.all) ? 'ALL' : present(input.any) ? 'ANY' : null);
  if (!op) throw badInput(`${path}.op`, 'is required (or give all / any)');
  const uses = USES[COMPARISONS.has(op) ? 'COMPARE' : op];
  if (!uses) throw badInput(`${path}.op`, `unknown operator ${op}`);
  for (const field of CONDITION_FIELDS) {
    if (present(input[field]) && !uses.includes(field)) throw badInput(`${path}.${field}`, `is not used by ${op}`);
  }
  if (op === 'ALL' || op === 'ANY') {
    const name = op === 'ALL' ? 'all' : 'any';
    const list = input[name];
    if (!list || list.length === 0) throw badInput(`${path}.${name}`, 'must list at least one condition');
    if (list.length > 20) throw badInput(`${path}.${name}`, 'must list at most 20 conditions');
    const children = list.map((child, i) => toCondition(child, `${path}.${name}.${i}`, depth + 1));
    return op === 'ALL' ? { all: children } : { any: children };
  }
  if (op === 'NO_DATA') {
    const seconds = input.seconds;
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1 || seconds > 30 * 86_400) {
      throw badInput(`${path}.seconds`, 'NO_DATA needs seconds between 1 and 2592000 (30 days)');
    }
    return present(input.key) ? { op, seconds, key: requireKey(input, path) } : { op, seconds };
  }
  const key = requireKey(input, path);
  if (op === 'IN_RANGE' || op === 'OUT_OF_RANGE') {
    const min = requireNumber(input.min, `${path}.min`, op);
    const max = requireNumber(input.max, `${path}.max`, op);
    if (min > max) throw badInput(`${path}.max`, 'must not be less than min');
    return { key, op, min, max };
  }
  if (op === 'RATE_GT' || op === 'RATE_LT') return { key, op, value: requireNumber(input.value, `${path}.value`, op) };
  const value = input.value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw badInput(`${path}.value`, 'must be a finite number');
  } else if (typeof value === 'string' || typeof value === 'boolean') {
    if (op !== 'EQ' && op !== 'NEQ') throw badInput(`${path}.value`, `${op} compares numbers; only EQ and NEQ compare strings or booleans`);
    if (typeof value === 'string' && value.length > 1024) throw badInput(`${path}.value`, 'must be at most 1024 characters');
  } else {
    throw badInput(`${path}.value`, `${op} needs a number, string or boolean value`);
  }
  return { key, op: op as 'GT', value };
}

/** The target fields of a rule or suppression input. */
export interface TargetInput {
  deviceId?: string | null;
  profileId?: string | null;
  labels?: string[] | null;
}

const labels = z.array(fields.label).min(1, 'must list at least one label').max(20, 'at most 20 labels');

/** Whether the input names a target at all (updates may leave it out). */
export const givesTarget = (input: TargetInput) => present(input.deviceId) || present(input.profileId) || present(input.labels);

/** Exactly one of deviceId, profileId, labels; BAD_USER_INPUT on the offending field otherwise. */
export function toTarget(input: TargetInput, path: string): RuleTarget {
  const given = (['deviceId', 'profileId', 'labels'] as const).filter((field) => present(input[field]));
  if (given.length !== 1) {
    throw badInput(`${path}.${given[1] ?? 'deviceId'}`, 'give exactly one of deviceId, profileId or labels');
  }
  const field = given[0]!;
  if (field === 'labels') {
    const parsed = labels.safeParse(input.labels);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw badInput([`${path}.labels`, ...issue.path.map(String)].join('.'), issue.message);
    }
    return ruleTargetSchema.parse({ labels: [...new Set(parsed.data)] });
  }
  const id = input[field];
  if (!fields.id.safeParse(id).success) throw badInput(`${path}.${field}`, 'must be a valid id');
  return field === 'deviceId' ? { deviceId: id as string } : { profileId: id as string };
}

/**
 * Validates an assembled spec with the core schema (the same one the rule worker reads
 * with); the spec mirrors the input's shape, so an issue's path is the input field's path.
 */
export function checkSpec(spec: unknown, path: string): RuleSpec {
  const parsed = ruleSpecSchema.safeParse(spec);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw badInput([path, ...issue.path.map(String)].join('.'), issue.message);
}

export const severity = z.enum(['CRITICAL', 'MAJOR', 'MINOR', 'WARNING', 'INFO']);

export const ruleFields = z.object({
  name: fields.name,
  description: fields.description.nullish(),
  severity,
  enabled: z.boolean().nullish(),
});

export const ruleFilter = z.object({
  search: z.string().trim().max(200, 'must be at most 200 characters').nullish(),
  enabled: z.boolean().nullish(),
  severity: severity.nullish(),
});

export const alertFilter = z.object({
  status: z.array(z.enum(['ACTIVE_UNACK', 'ACTIVE_ACK', 'CLEARED_UNACK', 'CLEARED_ACK'])).max(4).nullish(),
  severityAtLeast: severity.nullish(),
  deviceId: fields.id.nullish(),
  ruleId: fields.id.nullish(),
  flapping: z.boolean().nullish(),
});

export const suppressionFields = z
  .object({
    name: fields.name,
    startsAt: z.date().nullish(),
    endsAt: z.date().nullish(),
    reason: fields.description.nullish(),
  })
  .refine((s) => !s.endsAt || s.endsAt > (s.startsAt ?? new Date()), { message: 'must be after startsAt (and in the future)', path: ['endsAt'] });

export const commentText = z.string().trim().min(1, 'must not be empty').max(4_000, 'must be at most 4000 characters');
