import type { SimDevice } from '../provision';
import type { OtaStatusReport } from '../ota/protocol';
import type { OutgoingMessage } from '../telemetry';

/**
 * Why a message or a connection failed, as a short stable reason that progress lines and
 * reports count by: `http-401`, `http-429`, `timeout`, `network:ECONNREFUSED`,
 * `connect:not-authorized`, `backpressure`, `not-connected`, …
 */
export class SendError extends Error {
  override name = 'SendError';
  constructor(
    readonly reason: string,
    message: string = reason,
  ) {
    super(message);
  }
}

/** The reason to count an error under: a SendError's own, or `error` for anything unexpected. */
export const reasonOf = (error: unknown): string => (error instanceof SendError ? error.reason : 'error');

/** One device's way to the intake. */
export interface DeviceLink {
  /**
   * Sends one message; resolves once the platform accepted it (HTTP 202, MQTT PUBACK) and
   * rejects with a SendError saying why not. The caller bounds how long it waits.
   */
  send(message: OutgoingMessage): Promise<void>;
  /** Whether the device can send right now (an MQTT link may be reconnecting). */
  isConnected(): boolean;
  /** Drops the link without waiting for anything still unacknowledged. */
  close(): Promise<void>;
  /** The device's OTA channel; a transport without one leaves the device out of OTA. */
  ota?: OtaLink;
}

/** How a device receives OTA assignments and reports their progress. */
export interface OtaLink {
  /**
   * Starts delivering downlink messages (raw, unparsed) to `onMessage`: MQTT subscribes to
   * `v1/devices/me/ota` (the intake answers with the pending assignment, and the subscription
   * is renewed after a reconnect); HTTP polls `GET /api/v1/ota/pending`. Rejects when MQTT
   * cannot subscribe. A failed poll goes to `onError` and the next one follows on schedule.
   */
  listen(onMessage: (raw: string) => void, onError?: (error: unknown) => void): Promise<void>;
  /** Sends one status report; resolves once accepted (PUBACK, HTTP 202), rejects with a SendError. */
  report(report: OtaStatusReport): Promise<void>;
}

/**
 * How simulated devices reach the platform. Tests inject their own; `createMqttTransport`
 * and `createHttpTransport` are the real ones.
 */
export interface Transport {
  /**
   * Opens the device's link (MQTT connects and authenticates; HTTP has nothing to open).
   * Rejects with a SendError once it gives up; aborting `signal` gives up at once.
   */
  connect(device: SimDevice, signal: AbortSignal): Promise<DeviceLink>;
  /** Releases what the transport shares between devices (sockets, agents). */
  close(): Promise<void>;
}
