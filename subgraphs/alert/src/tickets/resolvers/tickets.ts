import { badInput, conflict, validate, validId, type TicketEventType, type TicketStatus } from '@ump/core';
import type { Prisma } from '@ump/db';
import { ticketStore } from '../data/tickets';
import { commentBody, createTicketInput, updateTicketInput } from '../inputs';
import { assertTransition, statusChange, statusEventType } from '../lifecycle';
import { announce, authorOf, assertUserInScope, requireEditor, ticketOrNotFound, type Ctx } from './shared';

const closed = () => badInput('id', 'the ticket is closed; only comments can be added');
const changedMeanwhile = () => conflict('The ticket changed meanwhile; read it again and retry', 'id');

/** A manual ticket (no policy, no SLA), optionally covering alerts that are on no ticket yet. */
export async function createTicket(_: unknown, args: { input: unknown }, ctx: Ctx) {
  const { tenantId, caller, actorId } = requireEditor(ctx.identity, 'open tickets');
  const input = validate(createTicketInput, args.input, 'input');
  await assertUserInScope(ctx.db, input.assigneeId, 'input.assigneeId');
  const alertIds = [...new Set(input.alertIds ?? [])];
  if (alertIds.length > 0) {
    const found = new Map(
      (await ctx.db.alert.findMany({ where: { id: { in: alertIds } }, select: { id: true, ticketId: true } })).map((a) => [a.id, a]),
    );
    for (const [index, id] of (input.alertIds ?? []).entries()) {
      const alert = found.get(id);
      if (!alert) throw badInput(`input.alertIds.${index}`, 'no such alert');
      if (alert.ticketId) throw badInput(`input.alertIds.${index}`, `the alert is already on ticket ${alert.ticketId}`);
    }
  }
  const at = new Date();
  const ticket = await ticketStore.create(
    ctx.db,
    {
      tenantId,
      title: input.title,
      description: input.description ?? null,
      priority: input.priority ?? 'P3',
      assigneeId: input.assigneeId ?? null,
      createdById: authorOf(caller),
    },
    alertIds,
  );
  await announce(ctx, 'opened', ticket, actorId, at);
  return ticket;
}

/** The one event an update publishes: its status change if any, else an assignment, else `updated`. */
function eventOf(from: string, to: TicketStatus | null | undefined, data: Prisma.TicketUncheckedUpdateManyInput): TicketEventType {
  if (to && to !== from) return statusEventType(from, to);
  const keys = Object.keys(data);
  return keys.length === 1 && keys[0] === 'assigneeId' ? 'assigned' : 'updated';
}

/**
 * Changes a ticket. Status changes follow assertTransition (BAD_USER_INPUT on input.status,
 * FORBIDDEN for closing an unresolved ticket below TENANT_ADMIN); a CLOSED ticket takes no
 * changes. Applies only if nobody changed the status meanwhile (CONFLICT otherwise).
 */
export async function updateTicket(_: unknown, args: { id: string; input: unknown }, ctx: Ctx) {
  const { caller, actorId } = requireEditor(ctx.identity, 'change tickets');
  const id = validId(args.id);
  const input = validate(updateTicketInput, args.input, 'input');
  const current = await ticketOrNotFound(ctx, id);
  const at = new Date();
  const data: Prisma.TicketUncheckedUpdateManyInput = {};
  if (input.status) {
    assertTransition(current.status, input.status, caller.role);
    Object.assign(data, statusChange(current.status, input.status, at));
  }
  if (input.priority && input.priority !== current.priority) data.priority = input.priority;
  if (input.title && input.title !== current.title) data.title = input.title;
  if (input.description !== undefined && input.description !== current.description) data.description = input.description;
  if (input.assigneeId !== undefined && input.assigneeId !== current.assigneeId) {
    await assertUserInScope(ctx.db, input.assigneeId, 'input.assigneeId');
    data.assigneeId = input.assigneeId;
  }
  if (Object.keys(data).length === 0) return current;
  if (current.status === 'CLOSED') throw closed();
  const updated = await ticketStore.update(ctx.db, id, data, current.status);
  if (!updated) throw changedMeanwhile();
  await announce(ctx, eventOf(current.status, input.status, data), updated, actorId, at);
  return updated;
}

/** Sets (or, with userId null, clears) the assignee; the user must belong to the tenant. */
export async function assignTicket(_: unknown, args: { id: string; userId?: string | null }, ctx: Ctx) {
  const { actorId } = requireEditor(ctx.identity, 'assign tickets');
  const id = validId(args.id);
  const userId = args.userId == null ? null : validId(args.userId, 'userId');
  const current = await ticketOrNotFound(ctx, id);
  if (current.status === 'CLOSED') throw closed();
  await assertUserInScope(ctx.db, userId, 'userId');
  if (current.assigneeId === userId) return current;
  const updated = await ticketStore.update(ctx.db, id, { assigneeId: userId }, current.status);
  if (!updated) throw changedMeanwhile();
  await announce(ctx, 'assigned', updated, actorId);
  return updated;
}

/** Adds a comment (closed tickets too: notes after the fact are still useful). */
export async function commentTicket(_: unknown, args: { id: string; body: unknown }, ctx: Ctx) {
  const { tenantId, caller, actorId } = requireEditor(ctx.identity, 'comment on tickets');
  const id = validId(args.id);
  const body = validate(commentBody, args.body, 'body');
  const ticket = await ticketOrNotFound(ctx, id);
  await ticketStore.addComment(ctx.db, { tenantId, ticketId: id, authorId: authorOf(caller), body });
  await announce(ctx, 'commented', ticket, actorId);
  return ticket;
}
