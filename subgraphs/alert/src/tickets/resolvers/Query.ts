import { decodeCursor, pageSize, requireTenant, toConnection, validate, validId } from '@ump/core';
import { policyStore } from '../data/policies';
import { ticketStore, type TicketFilter } from '../data/tickets';
import { ticketFilter } from '../inputs';
import { ticketOrNotFound, type Ctx } from './shared';

type PageArgs = { first?: number | null; after?: string | null; filter?: unknown };

export const Query = {
  async tickets(_: unknown, args: PageArgs, ctx: Ctx) {
    requireTenant(ctx.identity);
    const size = pageSize(args.first);
    const parsed = validate(ticketFilter, args.filter ?? {}, 'filter');
    const filter: TicketFilter = {
      status: parsed.status ?? undefined,
      priority: parsed.priority ?? undefined,
      assigneeId: parsed.assigneeId ?? undefined,
      breached: parsed.breached ?? undefined,
    };
    const { rows, total } = await ticketStore.page(ctx.db, filter, size, decodeCursor('Ticket', args.after), new Date());
    return toConnection('Ticket', rows, size, total);
  },

  ticket(_: unknown, args: { id: string }, ctx: Ctx) {
    requireTenant(ctx.identity);
    return ticketOrNotFound(ctx, validId(args.id));
  },

  ticketPolicies(_: unknown, __: unknown, ctx: Ctx) {
    requireTenant(ctx.identity);
    return policyStore.list(ctx.db);
  },
};
