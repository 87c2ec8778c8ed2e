import { z } from 'zod';
import {
  deadLetter,
  deadLetterName,
  otaStatuses,
  otaStatusTopic,
  uuidv7,
  type EventBus,
  type Logger,
  type OtaStatusReport,
} from '@ump/core';
import type { ConnectivityTracker } from '../connectivity';
import type { DeviceCredential } from '../credentials';
import type { IntakeMetrics, Protocol } from '../metrics';

/**
 * What a device sends (MQTT `v1/devices/me/ota/status`, HTTP `POST /api/v1/ota/status`).
 * Unknown keys are ignored (a `deviceId` or `tenantId` in the payload included: both come
 * from the credentials); a `null` field counts as absent.
 */
const deviceReport = z
  .object({
    commandId: z.string().min(1).max(128).optional(),
    firmwareId: z.string().uuid().optional(),
    title: z.string().min(1).max(200).optional(),
    version: z.string().min(1).max(100).optional(),
    status: z.enum(otaStatuses),
    reason: z.string().max(1024).optional(),
    progress: z.number().int().min(0).max(100).optional(),
    /** Epoch ms on the device's clock. */
    ts: z.number().int().nonnegative().optional(),
  })
  .refine((report) => report.commandId || report.firmwareId || (report.title && report.version), {
    message: 'name the update with commandId, firmwareId, or title and version',
  });

/** Where ts is trusted; outside it the intake's receive time is used (see {@link parseStatusReport}). */
export interface StatusClockLimits {
  maxFutureSkewMs: number;
  maxAgeMs: number;
}

export type StatusParseResult = { ok: true; report: Omit<OtaStatusReport, 'messageId' | 'tenantId' | 'deviceId'> } | { ok: false; reason: string };

/**
 * Validates a device's status report. A failure's reason starts with the field at fault
 * (`status: …`, `(root): not valid JSON`), as telemetry's do. `at` is the device's `ts`
 * when it lies within the clock limits, else `receivedAt`: a device that just rebooted into
 * a new firmware often has no clock yet, and its UPDATED must not be lost for that.
 */
export function parseStatusReport(payload: Buffer, limits: StatusClockLimits, receivedAt: number): StatusParseResult {
  if (payload.length === 0) return { ok: false, reason: '(root): the payload is empty' };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: '(root): not valid JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, reason: '(root): expected a JSON object' };
  const withoutNulls = Object.fromEntries(Object.entries(json).filter(([, value]) => value !== null));
  const parsed = deviceReport.safeParse(withoutNulls);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'}: ${issue.message}`)
      .join('; ');
    return { ok: false, reason };
  }
  const { ts, ...report } = parsed.data;
  const trusted = ts !== undefined && ts <= receivedAt + limits.maxFutureSkewMs && ts >= receivedAt - limits.maxAgeMs;
  return { ok: true, report: { ...report, at: trusted ? ts : receivedAt } };
}

/** Outcome of {@link OtaStatusIntake.accept}; the transports map it to a status or an ack. */
export type StatusOutcome =
  | { kind: 'accepted'; messageId: string }
  /** Refused and dead-lettered; `reason` names the field. */
  | { kind: 'invalid'; status: 400 | 413; reason: string }
  /** The bus did not take the report: nothing was published, the device should retry. */
  | { kind: 'unavailable' };

export interface OtaStatusIntake {
  /** Validates and publishes one report of an authenticated, admitted device; never rejects. */
  accept(protocol: Protocol, device: DeviceCredential, payload: Buffer): Promise<StatusOutcome>;
}

/** Dead letters of refused reports: the dead-letter topic of the topic they were meant for. */
export const OTA_STATUS_DLQ = deadLetterName(otaStatusTopic);

/**
 * Turns device reports into ota.status.v1 messages keyed by device id, tenant and device
 * from the credential, messageId a UUIDv7. `accept` resolves only after the bus accepted
 * the message (202 / PUBACK come after it). A refused report goes to ota.status.dlq.v1 with
 * its reason; when that publish fails too, the refusal is still answered and logged.
 * Any report, a malformed one included, marks the device as seen.
 */
export function createOtaStatusIntake(deps: {
  bus: EventBus;
  logger: Logger;
  metrics: IntakeMetrics;
  connectivity: ConnectivityTracker;
  limits: StatusClockLimits;
  maxBodyBytes: number;
  now?: () => number;
}): OtaStatusIntake {
  const { bus, logger, metrics, connectivity, limits, maxBodyBytes, now = Date.now } = deps;

  const refuse = async (protocol: Protocol, device: DeviceCredential, payload: Buffer, status: 400 | 413, reason: string): Promise<StatusOutcome> => {
    metrics.otaStatus.inc({ protocol, outcome: 'malformed' });
    try {
      const letter = deadLetter({ reason, source: protocol, payload, tenantId: device.tenantId, deviceId: device.deviceId });
      await bus.publish(OTA_STATUS_DLQ, [{ key: device.deviceId, value: letter }]);
    } catch (error) {
      logger.error({ err: error, deviceId: device.deviceId }, 'could not dead-letter a refused OTA status report');
    }
    return { kind: 'invalid', status, reason };
  };

  return {
    async accept(protocol, device, payload) {
      const receivedAt = now();
      connectivity.seen(device, receivedAt);
      if (payload.length > maxBodyBytes) {
        return refuse(protocol, device, payload, 413, `(root): ${payload.length} bytes, at most ${maxBodyBytes} are accepted`);
      }
      const parsed = parseStatusReport(payload, limits, receivedAt);
      if (!parsed.ok) return refuse(protocol, device, payload, 400, parsed.reason);
      const message: OtaStatusReport = {
        messageId: uuidv7(receivedAt),
        tenantId: device.tenantId,
        deviceId: device.deviceId,
        ...parsed.report,
      };
      try {
        await bus.publish(otaStatusTopic.name, [{ key: device.deviceId, value: message }]);
      } catch (error) {
        metrics.otaStatus.inc({ protocol, outcome: 'bus_unavailable' });
        logger.error({ err: error, deviceId: device.deviceId }, 'event bus refused an OTA status report');
        return { kind: 'unavailable' };
      }
      metrics.otaStatus.inc({ protocol, outcome: 'accepted' });
      return { kind: 'accepted', messageId: message.messageId };
    },
  };
}
