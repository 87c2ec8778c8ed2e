import { notFound, requireTenant, validate, validId } from '@ump/core';
import type { AlertContext } from '../../context';
import { suppressionStore } from '../../data/suppressions';
import { suppressionFields, toTarget, type TargetInput } from '../inputs';
import { assertTargetInScope } from '../target';
import { actorOf } from '../types';

interface SuppressionInput extends TargetInput {
  name?: string;
  startsAt?: Date | null;
  endsAt?: Date | null;
  reason?: string | null;
}

/** A maintenance window; alerts raised for covered devices while it is active are suppressed. */
export async function createSuppression(_: unknown, args: { input: SuppressionInput }, ctx: AlertContext) {
  const { tenantId, caller } = requireTenant(ctx.identity, 'OPERATOR', 'create suppressions');
  const input = args.input ?? {};
  const fields = validate(suppressionFields, { name: input.name, startsAt: input.startsAt, endsAt: input.endsAt, reason: input.reason }, 'input');
  const target = toTarget(input, 'input');
  await assertTargetInScope(ctx, target);
  return suppressionStore.create(
    ctx.db,
    tenantId,
    { name: fields.name, target, startsAt: fields.startsAt ?? new Date(), endsAt: fields.endsAt ?? null, reason: fields.reason ?? null },
    actorOf(caller),
  );
}

export async function deleteSuppression(_: unknown, args: { id: string }, ctx: AlertContext) {
  requireTenant(ctx.identity, 'OPERATOR', 'delete suppressions');
  const id = validId(args.id);
  if (!(await suppressionStore.remove(ctx.db, id))) throw notFound('Suppression', 'id');
  return id;
}
