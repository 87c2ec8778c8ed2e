import type { IntakeEnv } from '@ump/core';
import { z } from 'zod';

const positiveInt = z.number().int().positive();
const port = z.number().int().min(0).max(65_535);

/**
 * The intake's settings with their defaults, the only place those defaults live (the env
 * fragment `intakeEnv` in core leaves every variable optional and main.ts passes on what is
 * set). Parsing throws a ZodError naming every bad field.
 */
export const intakeConfigSchema = z.object({
  /** HTTP port; 0 picks a free one. Default 4080 (env INTAKE_HTTP_PORT). */
  httpPort: port.default(4080),
  /** MQTT port; 0 picks a free one. Default 1883 (env MQTT_PORT). */
  mqttPort: port.default(1883),
  /** Interface both listeners bind. Default 0.0.0.0. */
  host: z.string().min(1).default('0.0.0.0'),
  /** Most points per request or publish; more is 413 (HTTP) or dead-lettered (MQTT). Default 500. */
  maxBatch: positiveInt.default(500),
  /** Largest body or MQTT payload; more is 413 or dead-lettered. Default 1 MiB. */
  maxBodyBytes: positiveInt.default(1024 * 1024),
  rateLimit: z
    .object({
      /** Messages (requests or publishes, whatever their point count) per device per second. Default 50. */
      devicePerSecond: positiveInt.default(50),
      /** Messages per tenant per second, all its devices together. Default 5000. */
      tenantPerSecond: positiveInt.default(5000),
    })
    .prefault({}),
  /** How far in the future a point's ts may lie (device clocks drift). Default 5 min. */
  maxFutureSkewMs: positiveInt.default(5 * 60_000),
  /**
   * How old a point's ts may be. Default 30 days: long enough for a device that buffered
   * through a month offline, short enough that a clock stuck at 1970 or a ts in seconds is
   * refused instead of landing in a partition retention drops anyway.
   */
  maxAgeMs: positiveInt.default(30 * 24 * 3600_000),
  /**
   * TTL of a resolved access token in the cache. Rotation and deletion evict the entry at
   * once through the shared cache, so the TTL only bounds staleness without one. Default
   * 5 min: every expiry is a database lookup, and 10,000 devices on a 30 s TTL cost 333
   * lookups a second (half a core on the embedded database, measured).
   */
  credentialCacheMs: positiveInt.default(300_000),
  /**
   * How often a live MQTT connection re-checks its token. Revocations are pushed and close
   * connections at once; this bounds the delay when a notice is lost. Default 5 s: at one
   * message a second, a re-check per second was a credential read and a hash per message,
   * an eighth of the intake's thread at 10,000 devices (measured).
   */
  credentialRecheckMs: positiveInt.default(5_000),
  /**
   * Admission control: once the bus holds this many telemetry messages its consumers have
   * not taken (in-process: the writer or the rule worker is behind; Kafka: the broker has
   * not acknowledged them), MQTT publishes wait unacknowledged and HTTP answers 503; waiting
   * publishes go through as the consumers make room. Default 100,000: about ten seconds at
   * 10,000 msg/s, and tens of megabytes of memory.
   */
  maxBuffered: positiveInt.default(100_000),
  /** Retention days per tenant plan; a plan not listed sends no retentionDays (the store's default). */
  planRetentionDays: z.record(z.string(), positiveInt).default({ free: 30, standard: 365, enterprise: 1825 }),
  /** How often silent devices are looked for (offline events). Default 1 s. */
  sweepIntervalMs: positiveInt.default(1_000),
});

export type IntakeConfig = z.infer<typeof intakeConfigSchema>;
/** What callers pass: any subset, nested rateLimit included. */
export type IntakeConfigInput = z.input<typeof intakeConfigSchema>;

/** The intake config from its environment variables: only those set; defaults apply to the rest. */
export function intakeConfigFromEnv(env: IntakeEnv): IntakeConfigInput {
  const defined = <T extends object>(value: T) => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
  return defined({
    httpPort: env.INTAKE_HTTP_PORT,
    mqttPort: env.MQTT_PORT,
    host: env.HOST,
    maxBatch: env.INTAKE_MAX_BATCH,
    maxBodyBytes: env.INTAKE_MAX_BODY_BYTES,
    rateLimit: defined({ devicePerSecond: env.INTAKE_DEVICE_RATE_PER_SECOND, tenantPerSecond: env.INTAKE_TENANT_RATE_PER_SECOND }),
    maxFutureSkewMs: env.INTAKE_MAX_FUTURE_SKEW_MS,
    maxAgeMs: env.INTAKE_MAX_AGE_MS,
    credentialCacheMs: env.INTAKE_CREDENTIAL_CACHE_MS,
    credentialRecheckMs: env.INTAKE_CREDENTIAL_RECHECK_MS,
    maxBuffered: env.INTAKE_MAX_BUFFERED,
    planRetentionDays: env.INTAKE_PLAN_RETENTION_DAYS,
  });
}
