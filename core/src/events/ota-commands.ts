import { z } from 'zod';
import { defineTopic } from '../ports/topic';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'lower-case hex SHA-256');

/**
 * `ota.commands.v1`, keyed by device id: what the OTA engine tells a device. `UPDATE`
 * assigns a firmware (a rollout stage or a rollback), `CANCEL` withdraws an assignment the
 * device has not finished. The intake pushes each to the device's MQTT downlink topic; a
 * device that polls over HTTP gets the same from the database, so a command the intake
 * missed is never lost. `commandId` is what the device echoes in its status reports.
 */
export const otaCommandsTopic = defineTopic({
  name: 'ota.commands',
  version: 1,
  schema: z.object({
    commandId: z.string().min(1).max(128),
    type: z.enum(['UPDATE', 'CANCEL']),
    tenantId: z.string().uuid(),
    deviceId: z.string().uuid(),
    rolloutId: z.string().uuid().optional(),
    firmware: z.object({
      id: z.string().uuid(),
      title: z.string(),
      version: z.string(),
      size: z.number().int().min(0),
      sha256,
    }),
    /** Epoch ms the command was issued. */
    at: z.number().int(),
  }),
});
export type OtaCommand = z.infer<typeof otaCommandsTopic.schema>;
