import { z } from 'zod';
import { brokerList, telemetryEnv } from './env';

// The device intake's settings (ingest/src/intake/main.ts). Every variable is optional: the
// defaults live once, in the intake's own config (ingest/src/intake/config.ts), and are
// listed in the README's configuration table.

const port = z.coerce.number().int().min(0).max(65_535);
const positive = z.coerce.number().int().positive();

/** `free=30,standard=365` → `{ free: 30, standard: 365 }`; each plan needs a positive day count. */
const planRetention = z
  .string()
  .regex(/^\s*[\w-]+\s*=\s*\d+\s*(,\s*[\w-]+\s*=\s*\d+\s*)*$/, 'expected plan=days pairs separated by commas, e.g. free=30,standard=365')
  .transform((value) => {
    const pairs = value.split(',').map((pair) => pair.split('=').map((part) => part.trim()));
    return Object.fromEntries(pairs.map(([plan, days]) => [plan!, Number(days)]));
  })
  .refine((plans) => Object.values(plans).every((days) => days > 0), 'every plan needs at least 1 day');

export const intakeEnv = z.object({
  /** HTTP port of the intake (POST /api/v1/telemetry, /healthz, /metrics); default 4080. */
  INTAKE_HTTP_PORT: port.optional(),
  /** MQTT port; default 1883. */
  MQTT_PORT: port.optional(),
  /** Interface both listeners bind; default 0.0.0.0. */
  HOST: z.string().optional(),
  /** Most points in one request or publish; default 500. */
  INTAKE_MAX_BATCH: positive.optional(),
  /** Largest request body or MQTT payload in bytes; default 1048576 (1 MiB). */
  INTAKE_MAX_BODY_BYTES: positive.optional(),
  /** Messages (requests or publishes) per second one device may send; default 50. */
  INTAKE_DEVICE_RATE_PER_SECOND: positive.optional(),
  /** Messages per second all devices of one tenant may send together; default 5000. */
  INTAKE_TENANT_RATE_PER_SECOND: positive.optional(),
  /** How far a point's ts may lie in the future, in ms; default 300000 (5 min). */
  INTAKE_MAX_FUTURE_SKEW_MS: positive.optional(),
  /** How old a point's ts may be, in ms; default 2592000000 (30 days). */
  INTAKE_MAX_AGE_MS: positive.optional(),
  /** How long a resolved access token is cached, in ms; default 300000 (5 min). */
  INTAKE_CREDENTIAL_CACHE_MS: positive.optional(),
  /** How often a live MQTT connection re-checks its token, in ms; default 5000. */
  INTAKE_CREDENTIAL_RECHECK_MS: positive.optional(),
  /** Telemetry messages the bus may hold unconsumed before the intake holds back (MQTT) and answers 503 (HTTP); default 100000. */
  INTAKE_MAX_BUFFERED: positive.optional(),
  /** Retention per tenant plan; default `free=30,standard=365,enterprise=1825`. */
  INTAKE_PLAN_RETENTION_DAYS: planRetention.optional(),
});
export type IntakeEnv = z.infer<typeof intakeEnv>;

/**
 * What the intake needs as its own process: the shared PostgreSQL (credentials), Redis
 * (credential cache, rate limits, last-seen times shared with the device subgraph) and
 * Kafka. All required: separate processes must share them.
 */
export const intakeProcessEnv = z.object({
  DATABASE_URL: z.string().url(),
  REDIS_URL: z.string().url(),
  /** Comma-separated `host:port` list. */
  KAFKA_BROKERS: brokerList,
  KAFKA_TOPIC_PREFIX: telemetryEnv.shape.KAFKA_TOPIC_PREFIX,
});
