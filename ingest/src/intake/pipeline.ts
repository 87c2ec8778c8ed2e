import {
  deadLetter,
  deadLetterName,
  telemetryTopic,
  type EventBus,
  type Logger,
  type OutgoingMessage,
  type TelemetryMessage,
  uuidv7,
} from '@ump/core';
import type { ConnectivityTracker } from './connectivity';
import type { CredentialResolver, DeviceCredential } from './credentials';
import type { IntakeMetrics, Protocol, RejectReason } from './metrics';
import { parsePayload, type PayloadLimits } from './payload';
import type { Admission, RateLimiter } from './rate-limit';

/** Outcome of {@link Pipeline.accept}; the transports map it to a status or an ack. */
export type AcceptOutcome =
  | { kind: 'accepted'; points: number }
  /** Refused payload, already dead-lettered; 400 or 413 as HTTP would answer. */
  | { kind: 'invalid'; status: 400 | 413; reason: string }
  /** The bus did not take the points: nothing was published, the device should retry. */
  | { kind: 'unavailable' };

/** The transport-free part of the intake, shared by HTTP and MQTT. */
export interface Pipeline {
  /** The device a token belongs to, or null (counted as `unauthorized`). Rejects on a database error. */
  authenticate(protocol: Protocol, token: string): Promise<DeviceCredential | null>;
  /** Charges the rate limits; a refusal is counted as `rate_limited`. */
  admit(protocol: Protocol, device: DeviceCredential): Promise<Admission>;
  /**
   * Validates a payload and publishes its points; never rejects. `startedAt` is
   * `performance.now()` at the message's arrival, for the latency histogram.
   */
  accept(protocol: Protocol, device: DeviceCredential, payload: Buffer, startedAt: number): Promise<AcceptOutcome>;
  /** Counts a refusal a transport decided on its own (e.g. a body it did not read, a forbidden topic). */
  count(protocol: Protocol, reason: RejectReason): void;
  /** Counts and dead-letters (cut to 64 KiB) a payload larger than maxBodyBytes; resolves `invalid` 413. */
  refuseTooLarge(protocol: Protocol, device: DeviceCredential, payload: Buffer): Promise<AcceptOutcome>;
}

/** What {@link createPipeline} needs. */
export interface PipelineDeps {
  bus: EventBus;
  credentials: CredentialResolver;
  rateLimiter: RateLimiter;
  connectivity: ConnectivityTracker;
  metrics: IntakeMetrics;
  logger: Logger;
  limits: PayloadLimits;
  maxBodyBytes: number;
  /** Clock; default Date.now. */
  now?: () => number;
}

const TELEMETRY_DLQ = deadLetterName(telemetryTopic);

/**
 * Authenticates, rate-limits, validates and publishes. Each point becomes one telemetry.v1
 * message keyed by device id, its messageId a UUIDv7 (time-ordered, so the writer's dedup
 * index stays local); tenant and device always come from the credential, never from the
 * payload. `accept` resolves only after `bus.publish`
 * resolved, which is what lets HTTP answer 202 and MQTT send PUBACK only for points the bus
 * holds. Refused payloads go to telemetry.dlq.v1 with their reason; when that publish fails
 * too, the refusal is still answered and the failure logged.
 */
export function createPipeline(deps: PipelineDeps): Pipeline {
  const { bus, credentials, rateLimiter, connectivity, metrics, logger, limits, maxBodyBytes, now = Date.now } = deps;

  const refuse = async (
    protocol: Protocol,
    device: DeviceCredential,
    payload: Buffer,
    status: 400 | 413,
    reason: string,
    label: RejectReason,
  ): Promise<AcceptOutcome> => {
    metrics.rejected.inc({ protocol, reason: label });
    try {
      const letter = deadLetter({ reason, source: protocol, payload, tenantId: device.tenantId, deviceId: device.deviceId });
      await bus.publish(TELEMETRY_DLQ, [{ key: device.deviceId, value: letter }]);
    } catch (error) {
      logger.error({ err: error, deviceId: device.deviceId }, 'could not dead-letter a refused payload');
    }
    return { kind: 'invalid', status, reason };
  };

  return {
    async authenticate(protocol, token) {
      const device = await credentials.resolve(token);
      if (!device) metrics.rejected.inc({ protocol, reason: 'unauthorized' });
      return device;
    },

    async admit(protocol, device) {
      const admission = await rateLimiter.admit(device);
      if (!admission.ok) metrics.rejected.inc({ protocol, reason: 'rate_limited' });
      return admission;
    },

    async accept(protocol, device, payload, startedAt) {
      const receivedAt = now();
      // Any admitted message shows the device is alive, a malformed one included.
      connectivity.seen(device, receivedAt);
      const parsed = parsePayload(payload, limits, receivedAt);
      if (!parsed.ok) {
        const label = parsed.status === 413 ? 'too_many_points' : 'malformed';
        return refuse(protocol, device, payload, parsed.status, parsed.reason, label);
      }
      const messages: OutgoingMessage[] = parsed.points.map(({ ts, values }) => {
        const message: TelemetryMessage = {
          messageId: uuidv7(receivedAt),
          tenantId: device.tenantId,
          deviceId: device.deviceId,
          ts,
          receivedAt,
          values,
          ...(device.retentionDays === undefined ? {} : { retentionDays: device.retentionDays }),
        };
        return { key: device.deviceId, value: message };
      });
      try {
        await bus.publish(telemetryTopic.name, messages);
      } catch (error) {
        metrics.rejected.inc({ protocol, reason: 'bus_unavailable' });
        logger.error({ err: error, deviceId: device.deviceId }, 'event bus refused telemetry');
        return { kind: 'unavailable' };
      }
      metrics.acceptedMessages.inc({ protocol });
      metrics.acceptedPoints.inc({ protocol }, messages.length);
      metrics.acceptDuration.observe({ protocol }, (performance.now() - startedAt) / 1000);
      return { kind: 'accepted', points: messages.length };
    },

    count(protocol, reason) {
      metrics.rejected.inc({ protocol, reason });
    },

    refuseTooLarge(protocol, device, payload) {
      const reason = `(root): ${payload.length} bytes, at most ${maxBodyBytes} are accepted`;
      return refuse(protocol, device, payload, 413, reason, 'too_large');
    },
  };
}
