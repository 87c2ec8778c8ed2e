// The device side of the OTA protocol the intake speaks: topics, paths, the assignment a
// device receives and the status it reports. Transport-free; the transports carry it.
import { z } from 'zod';

/** MQTT topic a device subscribes to; the intake sends the pending assignment right after the subscribe. */
export const OTA_DOWNLINK_TOPIC = 'v1/devices/me/ota';
/** MQTT topic a device publishes its status reports to (QoS 1). */
export const OTA_STATUS_TOPIC = 'v1/devices/me/ota/status';
/** HTTP: `GET` answers 200 with the pending assignment or 204. */
export const OTA_PENDING_PATH = '/api/v1/ota/pending';
/** HTTP: `POST` a status report, answered 202. */
export const OTA_STATUS_PATH = '/api/v1/ota/status';

/**
 * What a device reports about an assignment, in the order it happens. The same list as
 * `otaStatuses` of @ump/core (a test holds them equal); the simulator keeps its own copy so
 * it does not load the platform's runtime.
 */
export const otaStatuses = ['QUEUED', 'DOWNLOADING', 'DOWNLOADED', 'VERIFYING', 'UPDATING', 'UPDATED', 'FAILED'] as const;
export type OtaStatus = (typeof otaStatuses)[number];

const firmware = z.object({
  id: z.string().min(1),
  title: z.string().min(1).max(200),
  version: z.string().min(1).max(100),
  size: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'hex SHA-256'),
  /** A path on the intake's HTTP server (or an absolute URL). */
  url: z.string().min(1),
});

/** An assignment as the intake sends it; unknown fields are ignored, so the contract may grow. */
export const otaAssignmentSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('UPDATE'), commandId: z.string().min(1).max(128), firmware }),
  z.object({ type: z.literal('CANCEL'), commandId: z.string().min(1).max(128) }),
]);
export type OtaAssignment = z.infer<typeof otaAssignmentSchema>;
export type OtaUpdateCommand = Extract<OtaAssignment, { type: 'UPDATE' }>;
export type FirmwareAssignment = OtaUpdateCommand['firmware'];

/** A status report as the device sends it. */
export interface OtaStatusReport {
  commandId?: string;
  firmwareId?: string;
  title?: string;
  version?: string;
  status: OtaStatus;
  /** Why a FAILED happened. */
  reason?: string;
  /** Download progress, a whole number 0–100. */
  progress?: number;
  /** The device's clock, epoch ms. */
  ts?: number;
}

/** Parses a downlink message (MQTT payload or HTTP body); never throws. */
export function parseAssignment(raw: string | Buffer): { ok: true; assignment: OtaAssignment } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString());
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const parsed = otaAssignmentSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ') };
  return { ok: true, assignment: parsed.data };
}
