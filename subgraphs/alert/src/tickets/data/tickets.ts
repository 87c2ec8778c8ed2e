import { conflict, uuidv7, type TicketPriority, type TicketStatus } from '@ump/core';
import type { Prisma, TenantDb } from '@ump/db';
import { openStatuses } from '../lifecycle';
import { inTransaction } from './transaction';

export interface TicketFilter {
  status?: TicketStatus[];
  priority?: TicketPriority;
  assigneeId?: string;
  breached?: boolean;
}

/**
 * Tickets whose SLA is missed at `now`, as SQL (see slaBreached, which this must agree with):
 * open past the due time, or finished (resolved, else closed) after it.
 */
function breachedWhere(db: TenantDb, now: Date): Prisma.TicketWhereInput {
  const due = db.ticket.fields.slaDueAt;
  return {
    slaDueAt: { not: null },
    OR: [
      { status: { in: [...openStatuses] }, slaDueAt: { lt: now } },
      { status: { notIn: [...openStatuses] }, resolvedAt: { gt: due } },
      { status: { notIn: [...openStatuses] }, resolvedAt: null, closedAt: { gt: due } },
    ],
  };
}

// Spelled out rather than NOT(breached): NOT over a comparison with a NULL column is NULL,
// which would drop rows that are plainly not breached.
function notBreachedWhere(db: TenantDb, now: Date): Prisma.TicketWhereInput {
  const due = db.ticket.fields.slaDueAt;
  return {
    OR: [
      { slaDueAt: null },
      { status: { in: [...openStatuses] }, slaDueAt: { gte: now } },
      { status: { notIn: [...openStatuses] }, resolvedAt: { lte: due } },
      { status: { notIn: [...openStatuses] }, resolvedAt: null, closedAt: null },
      { status: { notIn: [...openStatuses] }, resolvedAt: null, closedAt: { lte: due } },
    ],
  };
}

function whereOf(db: TenantDb, filter: TicketFilter, now: Date): Prisma.TicketWhereInput {
  const and: Prisma.TicketWhereInput[] = [];
  if (filter.status?.length) and.push({ status: { in: filter.status } });
  if (filter.priority) and.push({ priority: filter.priority });
  if (filter.assigneeId) and.push({ assigneeId: filter.assigneeId });
  if (filter.breached === true) and.push(breachedWhere(db, now));
  if (filter.breached === false) and.push(notBreachedWhere(db, now));
  return { AND: and };
}

export interface NewTicket {
  tenantId: string;
  title: string;
  description?: string | null;
  priority: string;
  assigneeId?: string | null;
  policyId?: string | null;
  slaDueAt?: Date | null;
  createdById?: string | null;
}

/** Tickets, their comments and their links to alerts, in the scoped tenant. */
export const ticketStore = {
  byIds: (db: TenantDb, ids: readonly string[]) => db.ticket.findMany({ where: { id: { in: [...ids] } } }),

  /** Newest first (ids are UUIDv7, so id order is creation order). */
  async page(db: TenantDb, filter: TicketFilter, size: number, afterId: string | undefined, now: Date) {
    const where = whereOf(db, filter, now);
    const [rows, total] = await Promise.all([
      db.ticket.findMany({
        where: afterId ? { AND: [where, { id: { lt: afterId } }] } : where,
        orderBy: { id: 'desc' },
        take: size + 1,
      }),
      db.ticket.count({ where }),
    ]);
    return { rows, total };
  },

  /**
   * Creates a ticket OPEN and links `alertIds` to it, in one transaction (with `joined`, in the
   * transaction `db` belongs to). The links apply only
   * to alerts still without a ticket: if another ticket took one meanwhile, nothing is kept
   * (also when joined to a caller's transaction) and this is a CONFLICT on `conflictField`.
   */
  create(db: TenantDb, data: NewTicket, alertIds: readonly string[] = [], opts: { conflictField?: string; joined?: boolean } = {}) {
    const { conflictField = 'input.alertIds', joined = false } = opts;
    return inTransaction(db, async (tx) => {
      const ticket = await tx.ticket.create({ data: { ...data, id: uuidv7(), status: 'OPEN' } });
      if (alertIds.length > 0) {
        const { count } = await tx.alert.updateMany({ where: { id: { in: [...alertIds] }, ticketId: null }, data: { ticketId: ticket.id } });
        if (count !== alertIds.length) {
          // Joined to a caller's transaction, throwing rolls nothing back: undo by hand.
          await tx.ticket.deleteMany({ where: { id: ticket.id } });
          throw conflict('An alert was linked to another ticket meanwhile; try again', conflictField);
        }
      }
      return ticket;
    }, joined);
  },

  /**
   * Updates a ticket if it is in scope and, when `expectedStatus` is given, still in that
   * status (so two concurrent status changes cannot both apply). Null otherwise.
   */
  async update(db: TenantDb, id: string, data: Prisma.TicketUncheckedUpdateManyInput, expectedStatus?: string) {
    const where = expectedStatus ? { id, status: expectedStatus } : { id };
    const { count } = await db.ticket.updateMany({ where, data });
    return count === 0 ? null : db.ticket.findUnique({ where: { id } });
  },

  /** Links an alert without a ticket to `ticketId`; false when it has one already. */
  async link(db: TenantDb, alertId: string, ticketId: string) {
    const { count } = await db.alert.updateMany({ where: { id: alertId, ticketId: null }, data: { ticketId } });
    return count > 0;
  },

  /** The open ticket `policyId` opened for this rule and device, if any (the newest). */
  openFor: (db: TenantDb, policyId: string, ruleId: string, deviceId: string) =>
    db.ticket.findFirst({
      where: { policyId, status: { in: [...openStatuses] }, alerts: { some: { ruleId, deviceId } } },
      orderBy: { id: 'desc' },
    }),

  async alertIds(db: TenantDb, ticketId: string) {
    const rows = await db.alert.findMany({ where: { ticketId }, select: { id: true }, orderBy: { id: 'asc' } });
    return rows.map((row) => row.id);
  },

  /** How many alerts of the ticket are not cleared yet. */
  activeAlertCount: (db: TenantDb, ticketId: string) =>
    db.alert.count({ where: { ticketId, status: { notIn: ['CLEARED_UNACK', 'CLEARED_ACK'] } } }),

  alertsOf: (db: TenantDb, ticketIds: readonly string[]) =>
    db.alert.findMany({ where: { ticketId: { in: [...ticketIds] } }, orderBy: { id: 'asc' } }),

  commentsOf: (db: TenantDb, ticketIds: readonly string[]) =>
    db.ticketComment.findMany({ where: { ticketId: { in: [...ticketIds] } }, orderBy: { id: 'asc' } }),

  addComment: (db: TenantDb, data: { tenantId: string; ticketId: string; authorId: string | null; body: string }) =>
    db.ticketComment.create({ data: { ...data, id: uuidv7() } }),
};

export type TicketRow = Awaited<ReturnType<typeof ticketStore.byIds>>[number];
export type CommentRow = Awaited<ReturnType<typeof ticketStore.commentsOf>>[number];
export type AlertRow = Awaited<ReturnType<typeof ticketStore.alertsOf>>[number];
