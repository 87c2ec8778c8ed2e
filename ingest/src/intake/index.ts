import { randomUUID } from 'node:crypto';
import { telemetryTopic, type ArtifactStore, type Cache, type EventBus, type Logger, type Metrics } from '@ump/core';
import type { PrismaClient } from '@ump/db';
import { intakeConfigSchema, type IntakeConfig, type IntakeConfigInput } from './config';
import { createConnectivityTracker } from './connectivity';
import { createCredentialResolver } from './credentials';
import { createIntakeHttp } from './http';
import { createIntakeMetrics } from './metrics';
import { createIntakeMqtt } from './mqtt';
import { createOtaServices } from './ota';
import { createOverloadGate } from './overload';
import { createPipeline } from './pipeline';
import { createRateLimiter } from './rate-limit';

export { intakeConfigFromEnv, intakeConfigSchema, type IntakeConfig, type IntakeConfigInput } from './config';
export type { DeviceCredential } from './credentials';
export { TELEMETRY_PATH } from './http';
export { TELEMETRY_TOPIC } from './mqtt';
export {
  OTA_DOWNLINK_TOPIC,
  OTA_FIRMWARE_PATH,
  OTA_PENDING_PATH,
  OTA_STATUS_DLQ,
  OTA_STATUS_PATH,
  OTA_STATUS_TOPIC,
  type OtaCancelMessage,
  type OtaDeviceMessage,
  type OtaUpdateMessage,
} from './ota';
export { parsePayload, parseTelemetry, type PayloadLimits, type PayloadResult, type TelemetryPoint } from './payload';

/** What the intake needs from its process. The caller owns (and closes) all of them. */
export interface IntakeDeps {
  /** Read-only use: credentials, profiles, tenant plans, firmware and device_firmware (OTA). */
  prisma: PrismaClient;
  /** Credential cache, rate-limit windows, last-seen times: share it (Redis) between instances. */
  cache: Cache;
  /**
   * Receives telemetry.v1, telemetry.dlq.v1, device.events.v1, ota.status.v1 and
   * ota.status.dlq.v1; ota.commands.v1 is consumed in a group of this instance's own.
   */
  bus: EventBus;
  logger: Logger;
  /** The intake's counters and histogram are registered on `metrics.registry`. */
  metrics: Metrics;
  /** Any subset of IntakeConfig; see intakeConfigSchema for every default. */
  config?: IntakeConfigInput;
  /** Firmware bytes for `GET /api/v1/ota/firmware/<id>`; without it downloads answer 503. */
  artifacts?: ArtifactStore;
}

/** A running (or startable) device intake. */
export interface Intake {
  /**
   * Joins ota.commands.v1 (rejects when the bus cannot be joined), binds HTTP, then MQTT,
   * and starts the connectivity sweep; resolves with the bound ports (useful with port 0).
   * A port in use rejects with an error naming the variable to change (INTAKE_HTTP_PORT or
   * MQTT_PORT), after undoing what had started.
   */
  start(): Promise<{ httpPort: number; mqttPort: number }>;
  /** Closes both listeners (MQTT clients are disconnected), the OTA consumer and the sweep. Idempotent. */
  stop(): Promise<void>;
  readonly config: IntakeConfig;
}

/**
 * The device intake: devices send ThingsBoard-style telemetry over HTTP or MQTT,
 * authenticated by their access token; every point becomes one telemetry.v1 message. The
 * same token serves the device side of OTA (see ota/index.ts).
 * Throws a ZodError for an invalid config. Nothing listens until `start()`.
 */
export function createIntake(deps: IntakeDeps): Intake {
  const config = intakeConfigSchema.parse(deps.config ?? {});
  const { cache, bus, logger } = deps;
  const metrics = createIntakeMetrics(deps.metrics.registry);
  const connectivity = createConnectivityTracker({ cache, bus, logger, metrics, sweepIntervalMs: config.sweepIntervalMs });
  const pipeline = createPipeline({
    bus,
    logger,
    metrics,
    connectivity,
    credentials: createCredentialResolver({
      prisma: deps.prisma,
      cache,
      logger,
      ttlMs: config.credentialCacheMs,
      planRetentionDays: config.planRetentionDays,
    }),
    rateLimiter: createRateLimiter({ cache, logger, ...config.rateLimit }),
    limits: config,
    maxBodyBytes: config.maxBodyBytes,
  });
  const ota = createOtaServices({
    prisma: deps.prisma,
    bus,
    artifacts: deps.artifacts,
    connectivity,
    logger,
    metrics,
    // Random per instance: each instance must see every command (see ota/downlink.ts).
    instanceId: randomUUID(),
    limits: config,
    maxBodyBytes: config.maxBodyBytes,
  });
  const overload = createOverloadGate({
    buffered: () => bus.buffered(telemetryTopic.name),
    maxBuffered: config.maxBuffered,
    logger,
    onSample({ overloaded, buffered }) {
      metrics.busBuffered.set(buffered);
      metrics.overloaded.set(overloaded ? 1 : 0);
    },
  });
  const http = createIntakeHttp({ pipeline, registry: deps.metrics.registry, logger, maxBodyBytes: config.maxBodyBytes, ota, overload });
  const mqtt = createIntakeMqtt({
    pipeline,
    cache,
    credentialRecheckMs: config.credentialRecheckMs,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    ota,
    overload,
    onHeld: () => metrics.held.inc(),
  });
  let stopping: Promise<void> | undefined;

  const stop = () => {
    stopping ??= (async () => {
      overload.stop();
      await Promise.all([mqtt.close(), http.close(), ota.downlink.stop()]);
      await connectivity.stop();
    })();
    return stopping;
  };

  return {
    config,
    async start() {
      try {
        // Before MQTT listens, so no command published after a device subscribed is missed.
        await ota.downlink.start();
        const httpPort = await listen(() => http.listen(config.httpPort, config.host), 'HTTP', 'INTAKE_HTTP_PORT', config.httpPort);
        const mqttPort = await listen(() => mqtt.listen(config.mqttPort, config.host), 'MQTT', 'MQTT_PORT', config.mqttPort);
        connectivity.start();
        overload.start();
        logger.info({ httpPort, mqttPort, host: config.host }, 'device intake listening');
        return { httpPort, mqttPort };
      } catch (error) {
        await stop();
        throw error;
      }
    },
    stop,
  };
}

/** Runs `bind`, turning the usual listen errors into one line an operator can act on. */
async function listen(bind: () => Promise<number>, what: string, variable: string, port: number): Promise<number> {
  try {
    return await bind();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new Error(`${what} port ${port} is already in use (EADDRINUSE); set ${variable} to a free port`, { cause: error });
    }
    if (code === 'EACCES') {
      throw new Error(`${what} port ${port} needs privileges this process lacks (EACCES); set ${variable} to a port above 1023`, {
        cause: error,
      });
    }
    throw error;
  }
}
