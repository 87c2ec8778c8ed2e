import { requireCaller } from '@ump/core';
import type { AlertRow, TicketRow } from '../data/tickets';
import { slaBreached } from '../lifecycle';
import { ticketLoaders } from '../loaders';
import type { Ctx } from './shared';

export const Ticket = {
  // load() without awaiting anything first, so every reference of one request shares a batch.
  __resolveReference: (ref: { id: string }, ctx: Ctx) => (requireCaller(ctx.identity), ticketLoaders(ctx).ticket.load(ref.id)),
  slaBreached: (ticket: TicketRow) => slaBreached(ticket, new Date()),
  policy: (ticket: TicketRow, _: unknown, ctx: Ctx) => (ticket.policyId ? ticketLoaders(ctx).policy.load(ticket.policyId) : null),
  alerts: (ticket: TicketRow, _: unknown, ctx: Ctx) => ticketLoaders(ctx).alertsOfTicket.load(ticket.id),
  comments: (ticket: TicketRow, _: unknown, ctx: Ctx) => ticketLoaders(ctx).commentsOfTicket.load(ticket.id),
};

// Every field is its column.
export const TicketPolicy = {};

/** `Alert.ticket`, merged into the alert side's Alert resolvers. */
export const Alert = {
  ticket: (alert: Pick<AlertRow, 'ticketId'>, _: unknown, ctx: Ctx) => (alert.ticketId ? ticketLoaders(ctx).ticket.load(alert.ticketId) : null),
};
