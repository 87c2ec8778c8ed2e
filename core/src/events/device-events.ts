import { z } from 'zod';
import { defineTopic } from '../ports/topic';

/**
 * `device.events.v1`, keyed by device id: connectivity changes seen by the intake.
 * `online` when a device sends after being offline (or for the first time), `offline` when
 * it stays silent past its profile's inactivity timeout.
 */
export const deviceEventsTopic = defineTopic({
  name: 'device.events',
  version: 1,
  schema: z.object({
    type: z.enum(['online', 'offline']),
    tenantId: z.string().uuid(),
    deviceId: z.string().uuid(),
    /** Epoch milliseconds of the last message from the device. */
    lastSeenAt: z.number().int(),
    /** Epoch milliseconds of the change. */
    at: z.number().int(),
  }),
});
export type DeviceEvent = z.infer<typeof deviceEventsTopic.schema>;
