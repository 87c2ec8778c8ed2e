import { badInput, forbidden, roleAtLeast, type Role, type TicketEventType, type TicketStatus } from '@ump/core';

/** Statuses in which a ticket still needs work (and counts against its SLA). */
export const openStatuses: readonly TicketStatus[] = ['OPEN', 'IN_PROGRESS'];
export const isOpenStatus = (status: string) => (openStatuses as readonly string[]).includes(status);

/**
 * Status changes anyone who may edit tickets (OPERATOR and up) can make. IN_PROGRESS may go
 * back to OPEN (handed back), RESOLVED may be re-opened; CLOSED is final.
 */
const transitions: Record<TicketStatus, readonly TicketStatus[]> = {
  OPEN: ['IN_PROGRESS', 'RESOLVED'],
  IN_PROGRESS: ['OPEN', 'RESOLVED'],
  RESOLVED: ['OPEN', 'CLOSED'],
  CLOSED: [],
};

/**
 * Checks a status change requested by a caller of `role`. Closing a ticket that is not
 * RESOLVED skips the resolution, so only a TENANT_ADMIN may do it (FORBIDDEN otherwise);
 * any other change outside the table is BAD_USER_INPUT on `field`. Changing to the current
 * status is allowed and changes nothing.
 */
export function assertTransition(from: string, to: TicketStatus, role: Role, field = 'input.status'): void {
  if (from === to) return;
  if (from === 'CLOSED') throw badInput(field, 'the ticket is closed; a closed ticket cannot change status');
  if ((transitions[from as TicketStatus] ?? []).includes(to)) return;
  if (to === 'CLOSED') {
    if (roleAtLeast(role, 'TENANT_ADMIN')) return;
    throw forbidden(`Only a TENANT_ADMIN may close a ${from} ticket; resolve it first`);
  }
  const allowed = transitions[from as TicketStatus] ?? [];
  throw badInput(field, `cannot change a ${from} ticket to ${to}; allowed: ${allowed.join(', ') || 'none'}`);
}

/** The columns a status change sets besides `status` itself. */
export function statusChange(from: string, to: TicketStatus, now: Date) {
  if (from === to) return {};
  if (to === 'RESOLVED') return { status: to, resolvedAt: now };
  if (to === 'CLOSED') return { status: to, closedAt: now };
  // Back to work: the earlier resolution no longer counts (nor for the SLA).
  return { status: to, resolvedAt: null };
}

/** The event a status change publishes: `reopened` only for RESOLVED → OPEN. */
export function statusEventType(from: string, to: TicketStatus): TicketEventType {
  if (to === 'RESOLVED') return 'resolved';
  if (to === 'CLOSED') return 'closed';
  if (from === 'RESOLVED' && to === 'OPEN') return 'reopened';
  return 'updated';
}

/**
 * Whether the SLA is missed: the ticket is still open past `slaDueAt`, or it was finished
 * (resolved, or closed without a resolution) after it. Tickets without an SLA never breach.
 */
export function slaBreached(
  ticket: { status: string; slaDueAt: Date | null; resolvedAt: Date | null; closedAt: Date | null },
  now: Date,
): boolean {
  if (!ticket.slaDueAt) return false;
  const finishedAt = isOpenStatus(ticket.status) ? now : (ticket.resolvedAt ?? ticket.closedAt ?? now);
  return finishedAt.getTime() > ticket.slaDueAt.getTime();
}
