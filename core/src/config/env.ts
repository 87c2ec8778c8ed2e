import { z } from 'zod';

// One zod fragment per concern; each entry point merges the fragments it needs.
// The README's configuration table lists every variable declared here.

const port = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);
const secret = z.string().min(32, 'must be at least 32 characters');

export const loggingEnv = z.object({
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
});

export const storageEnv = z.object({
  UMP_DATA_DIR: z.string().default('./.ump'),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
});

export const authEnv = z.object({
  /** Signs user JWTs. Generated and kept in UMP_DATA_DIR when unset (embedded mode only). */
  JWT_SECRET: secret.optional(),
  JWT_TTL_SECONDS: z.coerce.number().int().positive().default(12 * 3600),
  /** Signs the identity the gateway forwards to subgraphs. Same rule as JWT_SECRET. */
  UMP_INTERNAL_SECRET: secret.optional(),
});

export const adminEnv = z.object({
  UMP_ADMIN_EMAIL: z.string().email().default('admin@ump.local'),
  UMP_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
});

export const gatewayEnv = z.object({
  PORT: port(4000),
  HOST: z.string().default('0.0.0.0'),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().positive().default(12),
  GRAPHQL_MAX_COST: z.coerce.number().int().positive().default(20_000),
  SUBGRAPH_TENANT_URL: z.string().url().optional(),
  SUBGRAPH_DEVICE_URL: z.string().url().optional(),
  SUBGRAPH_ALERT_URL: z.string().url().optional(),
  SUBGRAPH_OTA_URL: z.string().url().optional(),
  SUBGRAPH_ANALYTICS_URL: z.string().url().optional(),
});

export const subgraphEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  HOST: z.string().default('0.0.0.0'),
});

/** Multi-process mode: every process must reach the same PostgreSQL and Redis and share the secrets. */
export const clusterEnv = z.object({
  DATABASE_URL: z.string().url(),
  REDIS_URL: z.string().url(),
  JWT_SECRET: secret,
  UMP_INTERNAL_SECRET: secret,
});

/** `a:9092, b:9092` → `['a:9092', 'b:9092']`. */
export const brokerList = z
  .string()
  .transform((value) => value.split(',').map((broker) => broker.trim()).filter((broker) => broker !== ''))
  .refine((brokers) => brokers.length > 0, 'expected host:port of at least one Kafka broker');

/** The telemetry pipeline's backends: Kafka and ClickHouse when set, in-process otherwise. */
export const telemetryEnv = z.object({
  /** Comma-separated `host:port` list; unset = the in-process bus (one process only). */
  KAFKA_BROKERS: brokerList.optional(),
  /** Prefix of every Kafka topic and consumer group, so environments can share a cluster (e.g. `staging.`). */
  KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only').default(''),
  /** Partitions of topics UMP creates. */
  KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(3),
  /** ClickHouse server URL; unset = embedded ClickHouse (chDB) in UMP_DATA_DIR. */
  CLICKHOUSE_URL: z.string().url().optional(),
  CLICKHOUSE_USER: z.string().optional(),
  CLICKHOUSE_PASSWORD: z.string().optional(),
  CLICKHOUSE_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier').default('ump'),
  /** Retention of points whose tenant plan names no retention. */
  TELEMETRY_DEFAULT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
});

/** The telemetry store's options from `telemetryEnv`, so every process maps them alike. */
export function clickhouseOptions(env: z.infer<typeof telemetryEnv>) {
  return {
    url: env.CLICKHOUSE_URL,
    username: env.CLICKHOUSE_USER,
    password: env.CLICKHOUSE_PASSWORD,
    database: env.CLICKHOUSE_DATABASE,
    defaultRetentionDays: env.TELEMETRY_DEFAULT_RETENTION_DAYS,
  };
}

/** Firmware updates: where artifacts live and how often the rollout engine looks again. */
export const otaEnv = z.object({
  /** Shared by the OTA subgraph (writes) and the intake (serves); embedded default: UMP_DATA_DIR/artifacts. */
  OTA_ARTIFACTS_DIR: z.string().min(1).optional(),
  OTA_TICK_MS: z.coerce.number().int().min(50).max(600_000).default(5_000),
  /** Largest firmware accepted, uploaded or downloaded (default 64 MiB). */
  OTA_MAX_UPLOAD_BYTES: z.coerce.number().int().min(1).optional(),
  /** Time allowed for a firmware download (createFirmwareFromUrl). */
  OTA_FETCH_TIMEOUT_MS: z.coerce.number().int().min(1).optional(),
  /** Lets createFirmwareFromUrl download from private and loopback addresses (never link-local). */
  OTA_FETCH_ALLOW_PRIVATE_NETWORKS: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .default('false')
    .transform((value) => value === 'true'),
});
