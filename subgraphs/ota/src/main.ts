// The OTA subgraph as its own process (multi-process mode): serves firmware and rollouts and
// runs the rollout engine (device reports from ota.status.v1, commands and rollout events
// out). PostgreSQL, Redis, Kafka, ClickHouse (the KPI gates), the artifact folder and the
// shared secrets are required here: every process must agree on them.
import {
  authEnv,
  clickhouseOptions,
  clusterEnv,
  createCache,
  createClickHouseStore,
  createEventBus,
  createFileArtifactStore,
  createLogger,
  createMetrics,
  loadConfigOrExit,
  loggingEnv,
  otaEnv,
  runService,
  serveSubgraph,
  subgraphEnv,
  telemetryEnv,
} from '@ump/core';
import { createDatabase } from '@ump/db';
import { z } from 'zod';
import { createOtaSubgraph, createRolloutEngine } from './index';

const config = loadConfigOrExit(
  loggingEnv
    .extend(subgraphEnv.shape)
    .extend(authEnv.shape)
    .extend(clusterEnv.shape)
    .extend(telemetryEnv.shape)
    .extend(otaEnv.shape)
    .extend({
      KAFKA_BROKERS: telemetryEnv.shape.KAFKA_BROKERS.unwrap(),
      CLICKHOUSE_URL: z.string().url(),
      // Required here: the intake processes must serve the same folder (a shared volume).
      OTA_ARTIFACTS_DIR: otaEnv.shape.OTA_ARTIFACTS_DIR.unwrap(),
    }),
);
const logger = createLogger({ name: 'ota', level: config.LOG_LEVEL, format: config.LOG_FORMAT });

runService(logger, 'ota subgraph', async (onClose) => {
  const database = await createDatabase({ databaseUrl: config.DATABASE_URL });
  onClose(() => database.close());
  const cache = createCache({ redisUrl: config.REDIS_URL, keyPrefix: 'ump:' });
  onClose(() => cache.close());
  const bus = createEventBus({
    kafkaBrokers: config.KAFKA_BROKERS,
    partitions: config.KAFKA_PARTITIONS,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    clientId: 'ump-ota',
    logger,
  });
  onClose(() => bus.close());
  const store = createClickHouseStore(clickhouseOptions(config));
  onClose(() => store.close());
  // The store answers nothing before migrate(); it only creates what is missing.
  await store.migrate();
  const metrics = createMetrics('ota');
  const engine = createRolloutEngine({ prisma: database.prisma, bus, cache, kpi: store.otaKpi, logger, metrics: metrics.registry, tickMs: config.OTA_TICK_MS });
  await engine.start();
  onClose(() => engine.stop());
  const subgraph = createOtaSubgraph({
    prisma: database.prisma,
    cache,
    bus,
    logger,
    artifacts: createFileArtifactStore(config.OTA_ARTIFACTS_DIR),
    engine: engine.actions,
    maxUploadBytes: config.OTA_MAX_UPLOAD_BYTES,
    fetchTimeoutMs: config.OTA_FETCH_TIMEOUT_MS,
    allowPrivateNetworks: config.OTA_FETCH_ALLOW_PRIVATE_NETWORKS,
    metrics,
    internalSecret: config.UMP_INTERNAL_SECRET,
  });
  const served = await serveSubgraph(subgraph, { port: config.PORT ?? 4004, host: config.HOST, logger, metrics });
  onClose(() => served.close());
});
