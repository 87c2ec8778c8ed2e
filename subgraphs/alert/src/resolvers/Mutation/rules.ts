import { notFound, RULE_CHANGES_CHANNEL, requireTenant, validate, validId, type RuleChange, type RuleSpec } from '@ump/core';
import type { AlertContext } from '../../context';
import { ruleStore, type RuleData, type RuleRow } from '../../data/rules';
import {
  checkSpec,
  givesTarget,
  ruleFields,
  toCondition,
  toTarget,
  type ConditionInput,
  type TargetInput,
} from '../inputs';
import { assertTargetInScope } from '../target';
import { actorOf, specOf, targetOf } from '../types';

/** The rule fields of Create/UpdateAlertRuleInput as GraphQL hands them over. */
interface RuleInput extends TargetInput {
  name?: string | null;
  description?: string | null;
  severity?: string | null;
  enabled?: boolean | null;
  condition?: ConditionInput | null;
  forSeconds?: number | null;
  repeat?: { count: number; windowSeconds: number } | null;
  clearCondition?: ConditionInput | null;
  clearForSeconds?: number | null;
  escalation?: Array<{ afterSeconds: number; severity: string }> | null;
}

const SPEC_FIELDS = ['forSeconds', 'repeat', 'clearForSeconds', 'escalation'] as const;

/**
 * The spec after applying `input` over `base` (an update): a field left out keeps its
 * value, null removes it. Conditions are converted and every field is checked against the
 * core schema, errors naming the input field.
 */
function specFrom(input: RuleInput, base: Partial<RuleSpec>): RuleSpec {
  const spec: Record<string, unknown> = { ...base };
  if (input.condition) spec.condition = toCondition(input.condition, 'input.condition');
  if (input.clearCondition === null) delete spec.clearCondition;
  else if (input.clearCondition) spec.clearCondition = toCondition(input.clearCondition, 'input.clearCondition');
  for (const field of SPEC_FIELDS) {
    if (input[field] === null) delete spec[field];
    else if (input[field] !== undefined) spec[field] = input[field];
  }
  return checkSpec(spec, 'input');
}

/**
 * Tells rule workers after a committed change. Pub/sub is at-most-once and the workers
 * reload every rule periodically, so a failed publish is logged, not thrown.
 */
async function announce(ctx: AlertContext, change: RuleChange) {
  try {
    await ctx.deps.cache.publish(RULE_CHANGES_CHANNEL, JSON.stringify(change));
  } catch (error) {
    ctx.deps.logger.warn({ err: error, ...change }, 'could not announce a rule change; workers pick it up on their next reload');
  }
}

/** TENANT_ADMIN and OPERATOR create rules; the rule worker is told at once. */
export async function createAlertRule(_: unknown, args: { input: RuleInput }, ctx: AlertContext) {
  const { tenantId, caller } = requireTenant(ctx.identity, 'OPERATOR', 'create alert rules');
  const input = args.input ?? {};
  const fields = validate(ruleFields, { name: input.name, description: input.description, severity: input.severity, enabled: input.enabled }, 'input');
  const target = toTarget(input, 'input');
  const spec = specFrom(input, {});
  await assertTargetInScope(ctx, target);
  const rule = await ruleStore.create(
    ctx.db,
    tenantId,
    { name: fields.name, description: fields.description ?? null, severity: fields.severity, enabled: fields.enabled ?? true, target, spec },
    actorOf(caller),
  );
  await announce(ctx, { tenantId, ruleId: rule.id, change: 'created' });
  return rule;
}

/** Changes what the input names; bumps the version so workers reset their per-device state. */
export async function updateAlertRule(_: unknown, args: { id: string; input: RuleInput }, ctx: AlertContext) {
  const { tenantId } = requireTenant(ctx.identity, 'OPERATOR', 'change alert rules');
  const id = validId(args.id);
  const current: RuleRow | null = await ctx.loaders.rule.load(id);
  if (!current) throw notFound('Alert rule', 'id');
  const input = args.input ?? {};
  const fields = validate(
    ruleFields,
    {
      name: input.name ?? current.name,
      description: input.description === undefined ? current.description : input.description,
      severity: input.severity ?? current.severity,
      enabled: input.enabled ?? current.enabled,
    },
    'input',
  );
  const target = givesTarget(input) ? toTarget(input, 'input') : targetOf(current);
  if (givesTarget(input)) await assertTargetInScope(ctx, target);
  const spec = specFrom(input, specOf(current));
  const rule = await ruleStore.update(ctx.db, id, {
    name: fields.name,
    description: fields.description ?? null,
    severity: fields.severity,
    enabled: fields.enabled ?? true,
    target,
    spec,
  });
  if (!rule) throw notFound('Alert rule', 'id');
  await announce(ctx, { tenantId, ruleId: id, change: 'updated' });
  return rule;
}

/** Deletes the rule with its alerts and their history. */
export async function deleteAlertRule(_: unknown, args: { id: string }, ctx: AlertContext) {
  const { tenantId } = requireTenant(ctx.identity, 'OPERATOR', 'delete alert rules');
  const id = validId(args.id);
  if (!(await ruleStore.remove(ctx.db, id))) throw notFound('Alert rule', 'id');
  await announce(ctx, { tenantId, ruleId: id, change: 'deleted' });
  return id;
}
