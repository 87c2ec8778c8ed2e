import { z } from 'zod';
import { defineTopic } from '../ports/topic';

export const ticketStatuses = ['OPEN', 'IN_PROGRESS', 'RESOLVED', 'CLOSED'] as const;
export type TicketStatus = (typeof ticketStatuses)[number];
export const ticketPriorities = ['P1', 'P2', 'P3', 'P4'] as const;
export type TicketPriority = (typeof ticketPriorities)[number];

export const ticketEventTypes = ['opened', 'updated', 'assigned', 'commented', 'linked', 'resolved', 'closed', 'reopened'] as const;
export type TicketEventType = (typeof ticketEventTypes)[number];

/** `ticket.events.v1`, keyed by ticket id: what happened to a ticket (keys only, like alert events). */
export const ticketEventsTopic = defineTopic({
  name: 'ticket.events',
  version: 1,
  schema: z.object({
    eventId: z.string().min(1).max(128),
    type: z.enum(ticketEventTypes),
    tenantId: z.string().uuid(),
    ticketId: z.string().uuid(),
    status: z.enum(ticketStatuses),
    priority: z.enum(ticketPriorities),
    assigneeId: z.string().uuid().optional(),
    /** The alerts linked to the ticket. */
    alertIds: z.array(z.string().uuid()),
    slaDueAt: z.number().int().optional(),
    at: z.number().int(),
    actorId: z.string().optional(),
  }),
});
export type TicketEvent = z.infer<typeof ticketEventsTopic.schema>;
