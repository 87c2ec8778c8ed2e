import { deadLetterOf, telemetryTopic, unstorableReason, type DeadLetter, type IncomingMessage, type TelemetryPoint } from '@ump/core';

/** A consumed message, either ready to store or refused with a dead letter. */
export type Converted = { ok: true; point: TelemetryPoint } | { ok: false; letter: DeadLetter };

/**
 * Validates one `telemetry.v1` message with the topic contract and the store's limits and
 * turns it into a point. Never throws: a refused message becomes a dead letter carrying the
 * reason, the raw payload and, when readable, its tenant and device.
 */
export function convertMessage(message: IncomingMessage): Converted {
  const refuse = (reason: string): Converted => ({ ok: false, letter: deadLetterOf(message, telemetryTopic.name, reason) });
  const parsed = telemetryTopic.parse(message.value);
  if (!parsed.ok) return refuse(parsed.reason);
  const { messageId, tenantId, deviceId, ts, receivedAt, values, retentionDays } = parsed.value;
  const point: TelemetryPoint = {
    messageId,
    tenantId,
    deviceId,
    ts: new Date(ts),
    values,
    receivedAt: new Date(receivedAt),
    ...(retentionDays === undefined ? {} : { retentionDays }),
  };
  const problem = unstorableReason(point);
  return problem ? refuse(problem) : { ok: true, point };
}
