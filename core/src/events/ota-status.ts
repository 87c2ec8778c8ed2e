import { z } from 'zod';
import { otaStatuses } from '../ota/statuses';
import { defineTopic } from '../ports/topic';

/**
 * `ota.status.v1`, keyed by device id: a device's report on an update, as the intake
 * received it (MQTT `v1/devices/me/ota/status` or HTTP `POST /api/v1/ota/status`), with
 * the tenant and device from the device's credentials, never from the payload. A report
 * names the assignment by `commandId`, or the firmware by id or title and version (a
 * device announcing what it runs after a boot sends `UPDATED` with its title and version).
 */
export const otaStatusTopic = defineTopic({
  name: 'ota.status',
  version: 1,
  schema: z.object({
    messageId: z.string().min(1).max(128),
    tenantId: z.string().uuid(),
    deviceId: z.string().uuid(),
    commandId: z.string().min(1).max(128).optional(),
    firmwareId: z.string().uuid().optional(),
    title: z.string().min(1).max(200).optional(),
    version: z.string().min(1).max(100).optional(),
    status: z.enum(otaStatuses),
    /** Why a FAILED happened, in the device's words. */
    reason: z.string().max(1024).optional(),
    /** Download or install progress, 0–100. */
    progress: z.number().int().min(0).max(100).optional(),
    /** Epoch ms: the device's own time when it sent one, else when the intake received it. */
    at: z.number().int(),
  }),
});
export type OtaStatusReport = z.infer<typeof otaStatusTopic.schema>;
