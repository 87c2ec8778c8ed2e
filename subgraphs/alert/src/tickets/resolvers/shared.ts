import { badInput, notFound, requireTenant, type Caller, type Identity, type TicketEventType } from '@ump/core';
import type { TenantDb } from '@ump/db';
import type { AlertContext } from '../../context';
import { ticketStore, type TicketRow } from '../data/tickets';
import { publishTicketEvent } from '../events';
import { ticketLoaders } from '../loaders';

export type Ctx = AlertContext;

/** A tenant user of at least OPERATOR: who may change tickets and policies. */
export function requireEditor(identity: Identity, action: string): { tenantId: string; caller: Caller; actorId: string } {
  const { tenantId, caller } = requireTenant(identity, 'OPERATOR', action);
  return { tenantId, caller, actorId: caller.kind === 'user' ? caller.userId : caller.apiKeyId };
}

/** Users and API keys alike act under their id; only users author comments and tickets. */
export const authorOf = (caller: Caller): string | null => (caller.kind === 'user' ? caller.userId : null);

/** The ticket `id` in the caller's scope, or NOT_FOUND. */
export async function ticketOrNotFound(ctx: Ctx, id: string) {
  const ticket = await ticketLoaders(ctx).ticket.load(id);
  if (!ticket) throw notFound('Ticket', 'id');
  return ticket;
}

/** References inside an input must exist in the caller's tenant: BAD_USER_INPUT on the field otherwise. */
export async function assertUserInScope(db: TenantDb, userId: string | null | undefined, field: string) {
  if (userId && !(await db.user.findUnique({ where: { id: userId }, select: { id: true } }))) throw badInput(field, 'no such user');
}

export async function assertRuleInScope(db: TenantDb, ruleId: string | null | undefined, field: string) {
  if (ruleId && !(await db.alertRule.findUnique({ where: { id: ruleId }, select: { id: true } }))) throw badInput(field, 'no such alert rule');
}

export async function assertProfileInScope(db: TenantDb, profileId: string | null | undefined, field: string) {
  if (profileId && !(await db.deviceProfile.findUnique({ where: { id: profileId }, select: { id: true } }))) {
    throw badInput(field, 'no such device profile');
  }
}

/** Publishes a committed change made by `actorId` (see publishTicketEvent). */
export async function announce(ctx: Ctx, type: TicketEventType, ticket: TicketRow, actorId: string, at = new Date()) {
  const alertIds = await ticketStore.alertIds(ctx.db, ticket.id);
  await publishTicketEvent(ctx.deps, { type, ticket, alertIds, actorId, at });
}
