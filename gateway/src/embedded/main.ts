import {
  adminEnv,
  authEnv,
  clickhouseOptions,
  closeOnSignals,
  createLogger,
  gatewayEnv,
  intakeEnv,
  loadConfigOrExit,
  loggingEnv,
  otaEnv,
  storageEnv,
  telemetryEnv,
} from '@ump/core';
import { intakeConfigFromEnv } from '@ump/ingest';
import path from 'node:path';
import { startPlatform } from './platform';

const config = loadConfigOrExit(
  loggingEnv
    .extend(storageEnv.shape)
    .extend(authEnv.shape)
    .extend(adminEnv.shape)
    .extend(intakeEnv.shape)
    .extend(telemetryEnv.shape)
    .extend(otaEnv.shape)
    .extend(gatewayEnv.shape),
);
const logger = createLogger({ name: 'ump', level: config.LOG_LEVEL, format: config.LOG_FORMAT });

async function main() {
  const started = Date.now();
  const platform = await startPlatform({
    dataDir: path.resolve(config.UMP_DATA_DIR),
    databaseUrl: config.DATABASE_URL,
    redisUrl: config.REDIS_URL,
    kafka: config.KAFKA_BROKERS ? { brokers: config.KAFKA_BROKERS, partitions: config.KAFKA_PARTITIONS, topicPrefix: config.KAFKA_TOPIC_PREFIX } : undefined,
    telemetryStore: clickhouseOptions(config),
    intake: intakeConfigFromEnv(config),
    ota: {
      artifactsDir: config.OTA_ARTIFACTS_DIR,
      tickMs: config.OTA_TICK_MS,
      maxUploadBytes: config.OTA_MAX_UPLOAD_BYTES,
      fetchTimeoutMs: config.OTA_FETCH_TIMEOUT_MS,
      allowPrivateNetworks: config.OTA_FETCH_ALLOW_PRIVATE_NETWORKS,
    },
    port: config.PORT,
    host: config.HOST,
    jwtSecret: config.JWT_SECRET,
    jwtTtlSeconds: config.JWT_TTL_SECONDS,
    internalSecret: config.UMP_INTERNAL_SECRET,
    admin: { email: config.UMP_ADMIN_EMAIL, password: config.UMP_ADMIN_PASSWORD },
    limits: { maxDepth: config.GRAPHQL_MAX_DEPTH, maxCost: config.GRAPHQL_MAX_COST },
    logger,
  });
  closeOnSignals(logger, platform.close);
  printBanner(platform, Date.now() - started, config.UMP_DATA_DIR);
}

function printBanner(platform: Awaited<ReturnType<typeof startPlatform>>, ms: number, dataDir: string) {
  const database = platform.database === 'pglite' ? `embedded PostgreSQL (PGlite) in ${dataDir}` : 'PostgreSQL (DATABASE_URL)';
  const cache = platform.cache === 'redis' ? 'Redis (REDIS_URL)' : 'in-process';
  const bus = platform.bus === 'kafka' ? 'Kafka (KAFKA_BROKERS)' : 'in-process';
  const lines = [
    '',
    `  UMP is up in ${(ms / 1000).toFixed(1)} s`,
    '',
    `  GraphQL API   ${platform.url}`,
    `  Metrics       http://localhost:${platform.port}/metrics`,
    `  Database      ${database}`,
    `  Cache         ${cache}`,
    `  Event bus     ${bus}`,
    `  Telemetry     ${platform.telemetry}`,
    '',
    `  Devices send  http://localhost:${platform.intake.httpPort}/api/v1/telemetry   (Bearer <device access token>)`,
    `                mqtt://localhost:${platform.intake.mqttPort}  topic v1/devices/me/telemetry   (username <device access token>)`,
    `  Firmware      MQTT v1/devices/me/ota, or GET http://localhost:${platform.intake.httpPort}/api/v1/ota/pending   (README: the OTA protocol)`,
    '',
    `  Sign in as    ${platform.admin.email}`,
  ];
  if (platform.admin.generatedPassword) {
    lines.push(
      `  Password      ${platform.admin.generatedPassword}   (generated: shown this once; set UMP_ADMIN_PASSWORD to choose)`,
    );
  }
  lines.push('', '  Try:  curl -s localhost:' + platform.port + "/graphql -H 'content-type: application/json' \\", `          -d '{"query":"mutation { login(email: \\"${platform.admin.email}\\", password: \\"…\\") { token } }"}'`, '', '  Ctrl+C stops it.', '');
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error: unknown) => {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    logger.fatal(`Port ${config.PORT} is already in use: stop what holds it or set PORT to another port`);
  } else if (error instanceof Error && /already in use/.test(error.message)) {
    logger.fatal(error.message);
  } else {
    logger.fatal({ err: error }, 'UMP failed to start');
  }
  process.exitCode = 1;
});
