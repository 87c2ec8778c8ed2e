import DataLoader from 'dataloader';
import { batchById } from '@ump/core';
import type { TenantDb } from '@ump/db';
import { policyStore, type PolicyRow } from './data/policies';
import { ticketStore, type AlertRow, type CommentRow, type TicketRow } from './data/tickets';

function groupBy<T>(rows: T[], key: (row: T) => string | null, ids: readonly string[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    if (k === null) continue;
    const group = groups.get(k);
    if (group) group.push(row);
    else groups.set(k, [row]);
  }
  return ids.map((id) => groups.get(id) ?? []);
}

/** Loaders of ticket data for one request, over its scoped client. */
export function createTicketLoaders(db: TenantDb) {
  return {
    ticket: new DataLoader<string, TicketRow | null>(batchById((ids) => ticketStore.byIds(db, ids))),
    policy: new DataLoader<string, PolicyRow | null>(batchById((ids) => policyStore.byIds(db, ids))),
    alertsOfTicket: new DataLoader<string, AlertRow[]>(async (ids) => groupBy(await ticketStore.alertsOf(db, ids), (a) => a.ticketId, ids)),
    commentsOfTicket: new DataLoader<string, CommentRow[]>(async (ids) =>
      groupBy(await ticketStore.commentsOf(db, ids), (c) => c.ticketId, ids),
    ),
  };
}
export type TicketLoaders = ReturnType<typeof createTicketLoaders>;

// The alert subgraph builds the request context; rather than widen it for tickets, each
// context object gets its loaders here on first use. Keyed weakly by that object, they are
// never shared between requests and go away with their request.
const perRequest = new WeakMap<object, TicketLoaders>();

/** The ticket loaders of the request whose context is `ctx`. */
export function ticketLoaders(ctx: { db: TenantDb }): TicketLoaders {
  let loaders = perRequest.get(ctx);
  if (!loaders) {
    loaders = createTicketLoaders(ctx.db);
    perRequest.set(ctx, loaders);
  }
  return loaders;
}
