import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** How a device reached the intake. */
export type Protocol = 'http' | 'mqtt';

/** Why a message was not accepted; the `reason` label of ump_intake_rejected_total. */
export type RejectReason =
  | 'unauthorized'
  | 'rate_limited'
  | 'malformed'
  | 'too_large'
  | 'too_many_points'
  | 'forbidden_topic'
  | 'bus_unavailable'
  | 'overloaded';

/**
 * The intake's Prometheus metrics, registered on `registry`. Registering twice on one
 * registry throws (prom-client refuses duplicate names): one intake per registry.
 */
export function createIntakeMetrics(registry: Registry) {
  return {
    acceptedMessages: new Counter({
      name: 'ump_intake_accepted_messages_total',
      help: 'Requests and publishes whose points all reached the event bus',
      labelNames: ['protocol'] as const,
      registers: [registry],
    }),
    acceptedPoints: new Counter({
      name: 'ump_intake_accepted_points_total',
      help: 'Telemetry points published to telemetry.v1',
      labelNames: ['protocol'] as const,
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'ump_intake_rejected_total',
      help: 'Requests, publishes and connections refused, by reason',
      labelNames: ['protocol', 'reason'] as const,
      registers: [registry],
    }),
    acceptDuration: new Histogram({
      name: 'ump_intake_accept_duration_seconds',
      help: 'From arrival of a request or publish until the event bus accepted its points',
      labelNames: ['protocol'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    // Admission control (overload.ts).
    busBuffered: new Gauge({
      name: 'ump_intake_bus_buffered_messages',
      help: 'telemetry.v1 messages this process holds that a consumer has not committed (in-process bus) or Kafka has not acknowledged',
      registers: [registry],
    }),
    overloaded: new Gauge({
      name: 'ump_intake_overloaded',
      help: '1 while the bus holds INTAKE_MAX_BUFFERED messages or more: MQTT publishes wait, HTTP answers 503',
      registers: [registry],
    }),
    held: new Counter({
      name: 'ump_intake_held_total',
      help: 'MQTT publishes that waited for the intake to leave overload before being accepted',
      registers: [registry],
    }),
    deviceEvents: new Counter({
      name: 'ump_intake_device_events_total',
      help: 'Connectivity events published to device.events.v1, by type and outcome',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    // OTA (ota/): reports, pushed commands, downloads.
    otaStatus: new Counter({
      name: 'ump_intake_ota_status_total',
      help: 'OTA status reports by outcome: accepted (on ota.status.v1), malformed (dead-lettered), bus_unavailable',
      labelNames: ['protocol', 'outcome'] as const,
      registers: [registry],
    }),
    otaCommands: new Counter({
      name: 'ump_intake_ota_commands_total',
      help: 'ota.commands.v1 commands consumed, by type and outcome: delivered (to a device connected here), not_connected, invalid',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    otaDownloads: new Counter({
      name: 'ump_intake_ota_downloads_total',
      help: 'Firmware download requests by HTTP status (after authentication)',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    otaDownloadBytes: new Counter({
      name: 'ump_intake_ota_download_bytes_total',
      help: 'Firmware bytes sent to devices',
      registers: [registry],
    }),
  };
}
export type IntakeMetrics = ReturnType<typeof createIntakeMetrics>;
