import { z } from 'zod';
import { severities } from '../alerts/conditions';
import { defineTopic } from '../ports/topic';

export const alertStatuses = ['ACTIVE_UNACK', 'ACTIVE_ACK', 'CLEARED_UNACK', 'CLEARED_ACK'] as const;
export type AlertStatus = (typeof alertStatuses)[number];

export const alertEventTypes = ['raised', 'updated', 'acknowledged', 'cleared', 'resolved'] as const;
export type AlertEventType = (typeof alertEventTypes)[number];

/**
 * `alert.events.v1`, keyed by alert id: what happened to an alert. `raised` (new alert or a
 * cleared one re-opened), `updated` (occurrence, severity, assignee, comment, flapping),
 * `acknowledged`, `cleared` (condition or user cleared it), `resolved` (cleared and
 * acknowledged: closed). Events carry keys and the fields subscribers filter on, not the
 * alert itself: subscribers resolve what they select through the graph.
 */
export const alertEventsTopic = defineTopic({
  name: 'alert.events',
  version: 1,
  schema: z.object({
    eventId: z.string().min(1).max(128),
    type: z.enum(alertEventTypes),
    tenantId: z.string().uuid(),
    alertId: z.string().uuid(),
    ruleId: z.string().uuid(),
    deviceId: z.string().uuid(),
    severity: z.enum(severities),
    status: z.enum(alertStatuses),
    /** Notifications are held while an alert flaps; the event still flows for history. */
    flapping: z.boolean(),
    ticketId: z.string().uuid().optional(),
    /** Epoch ms the alert was first raised (MTTA / MTTR are measured from it). */
    raisedAt: z.number().int(),
    /** Epoch ms of this event. */
    at: z.number().int(),
    /** Who caused it: a user id, or absent for the platform. */
    actorId: z.string().optional(),
  }),
});
export type AlertEvent = z.infer<typeof alertEventsTopic.schema>;
