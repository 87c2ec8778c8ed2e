import { notFound, validate, validId } from '@ump/core';
import type { Prisma } from '@ump/db';
import { policyStore } from '../data/policies';
import { policyInput, updatePolicyInput } from '../inputs';
import { assertProfileInScope, assertRuleInScope, assertUserInScope, requireEditor, type Ctx } from './shared';

async function assertReferences(ctx: Ctx, input: { ruleId?: string | null; profileId?: string | null; assigneeId?: string | null }) {
  await assertRuleInScope(ctx.db, input.ruleId, 'input.ruleId');
  await assertProfileInScope(ctx.db, input.profileId, 'input.profileId');
  await assertUserInScope(ctx.db, input.assigneeId, 'input.assigneeId');
}

export async function createTicketPolicy(_: unknown, args: { input: unknown }, ctx: Ctx) {
  const { tenantId } = requireEditor(ctx.identity, 'manage ticket policies');
  const input = validate(policyInput, args.input, 'input');
  await assertReferences(ctx, input);
  return policyStore.create(ctx.db, tenantId, {
    name: input.name,
    minSeverity: input.minSeverity ?? 'WARNING',
    ruleId: input.ruleId ?? null,
    profileId: input.profileId ?? null,
    labels: input.labels ?? [],
    priority: input.priority,
    slaMinutes: input.slaMinutes,
    autoResolve: input.autoResolve ?? true,
    assigneeId: input.assigneeId ?? null,
    enabled: input.enabled ?? true,
  });
}

const clearable = new Set(['ruleId', 'profileId', 'assigneeId']);

export async function updateTicketPolicy(_: unknown, args: { id: string; input: unknown }, ctx: Ctx) {
  requireEditor(ctx.identity, 'manage ticket policies');
  const id = validId(args.id);
  const input = validate(updatePolicyInput, args.input, 'input');
  await assertReferences(ctx, input);
  // null and absence both leave a field alone, except for the references, where null clears.
  const data: Prisma.TicketPolicyUncheckedUpdateManyInput = Object.fromEntries(
    Object.entries(input).filter(([key, value]) => value !== undefined && (value !== null || clearable.has(key))),
  );
  const policy = await policyStore.update(ctx.db, id, data);
  if (!policy) throw notFound('Ticket policy', 'id');
  return policy;
}

export async function deleteTicketPolicy(_: unknown, args: { id: string }, ctx: Ctx) {
  requireEditor(ctx.identity, 'manage ticket policies');
  const id = validId(args.id);
  if (!(await policyStore.remove(ctx.db, id))) throw notFound('Ticket policy', 'id');
  return id;
}
