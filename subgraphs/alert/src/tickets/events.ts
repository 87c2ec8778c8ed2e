import { ticketEventsTopic, uuidv7, type EventBus, type Logger, type TicketEvent, type TicketEventType } from '@ump/core';
import type { TicketRow } from './data/tickets';

/** What publishing a ticket event needs. */
export interface TicketEventDeps {
  bus: EventBus;
  logger: Logger;
}

/** One change to announce: the ticket as written, and the alerts linked to it. */
export interface TicketChange {
  type: TicketEventType;
  ticket: TicketRow;
  alertIds: string[];
  /** The user (or API key) who made the change; null for the platform. */
  actorId: string | null;
  at: Date;
}

/**
 * Publishes a change on `ticket.events.v1`, keyed by ticket id. Call it after the change
 * committed. A failure is logged, not thrown: the change is done, and failing the caller
 * would only invite a retry that repeats it.
 */
export async function publishTicketEvent(deps: TicketEventDeps, change: TicketChange): Promise<void> {
  const { type, ticket, alertIds, actorId, at } = change;
  try {
    const event: TicketEvent = ticketEventsTopic.schema.parse({
      eventId: uuidv7(at.getTime()),
      type,
      tenantId: ticket.tenantId,
      ticketId: ticket.id,
      status: ticket.status,
      priority: ticket.priority,
      ...(ticket.assigneeId ? { assigneeId: ticket.assigneeId } : {}),
      alertIds,
      ...(ticket.slaDueAt ? { slaDueAt: ticket.slaDueAt.getTime() } : {}),
      at: at.getTime(),
      ...(actorId ? { actorId } : {}),
    });
    await deps.bus.publish(ticketEventsTopic.name, [{ key: ticket.id, value: event }]);
  } catch (error) {
    deps.logger.error({ err: error, ticketId: ticket.id, type }, 'could not publish a ticket event');
  }
}
