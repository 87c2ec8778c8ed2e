import { z } from 'zod';
import { defineTopic } from '../ports/topic';

/** A telemetry value: a finite number, a short string or a boolean. */
export const telemetryValue = z.union([z.number().finite(), z.string().max(1024), z.boolean()]);
export type TelemetryValue = z.infer<typeof telemetryValue>;

/**
 * `telemetry.v1`, keyed by device id: one accepted point (one timestamp, one or more keys).
 * The intake gives every message a unique `messageId`; the writer uses it to write each
 * point exactly once.
 */
export const telemetryTopic = defineTopic({
  name: 'telemetry',
  version: 1,
  schema: z.object({
    messageId: z.string().min(1).max(64),
    tenantId: z.string().uuid(),
    deviceId: z.string().uuid(),
    /** When the point was measured, epoch milliseconds. */
    ts: z.number().int(),
    /** When the intake accepted it, epoch milliseconds. */
    receivedAt: z.number().int(),
    values: z.record(z.string().min(1).max(128), telemetryValue),
    /** How long the point is kept, from the tenant's plan; the store's default when absent. */
    retentionDays: z.number().int().positive().optional(),
  }),
});
export type TelemetryMessage = z.infer<typeof telemetryTopic.schema>;
