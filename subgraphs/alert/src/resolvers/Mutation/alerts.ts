import { alertEventsTopic, requireTenant, validate, validId, type AlertEvent } from '@ump/core';
import { z } from 'zod';
import type { AlertContext } from '../../context';
import { actOnAlert, type AlertAction } from '../../data/alert-actions';
import { commentText } from '../inputs';
import { actorOf } from '../types';

/** Publishes after the commit; the change stands if the bus fails, so that is logged, not thrown. */
async function publish(ctx: AlertContext, events: AlertEvent[]) {
  if (events.length === 0) return;
  try {
    await ctx.deps.bus.publish(alertEventsTopic.name, events.map((event) => ({ key: event.alertId, value: event })));
  } catch (error) {
    ctx.deps.logger.error({ err: error, events: events.map((e) => e.eventId) }, 'could not publish alert events');
  }
}

async function act(ctx: AlertContext, rawId: string, action: AlertAction, what: string) {
  const { caller } = requireTenant(ctx.identity, 'OPERATOR', what);
  const id = validId(rawId);
  const { alert, events } = await actOnAlert(ctx.db, id, action, actorOf(caller), ctx.deps.tickets);
  await publish(ctx, events);
  return alert;
}

export const acknowledgeAlert = (_: unknown, args: { id: string }, ctx: AlertContext) =>
  act(ctx, args.id, { kind: 'acknowledge' }, 'acknowledge alerts');

export const clearAlert = (_: unknown, args: { id: string }, ctx: AlertContext) => act(ctx, args.id, { kind: 'clear' }, 'clear alerts');

export function assignAlert(_: unknown, args: { id: string; userId?: string | null }, ctx: AlertContext) {
  const userId = validate(z.string().uuid('must be a valid id').nullish(), args.userId, 'userId') ?? null;
  return act(ctx, args.id, { kind: 'assign', userId }, 'assign alerts');
}

export function commentAlert(_: unknown, args: { id: string; text: string }, ctx: AlertContext) {
  const text = validate(commentText, args.text, 'text');
  return act(ctx, args.id, { kind: 'comment', text }, 'comment on alerts');
}
