// The telemetry writer as its own process (multi-process mode): Kafka in, ClickHouse out —
// telemetry.v1 to the telemetry tables, alert.events.v1 and rollout.events.v1 to their histories.
// Run several in one consumer group to split the partitions.
import {
  clickhouseOptions,
  createCache,
  runService,
  createClickHouseStore,
  createEventBus,
  createHttpServer,
  createLogger,
  createMetrics,
  loadConfigOrExit,
  loggingEnv,
  subgraphEnv,
  telemetryEnv,
} from '@ump/core';
import { z } from 'zod';
import { createAlertHistoryWriter } from './alert-history';
import { createRolloutHistoryWriter } from './rollout-history';
import { createTelemetryWriter } from './telemetry-writer';

const config = loadConfigOrExit(
  loggingEnv
    .extend(subgraphEnv.shape)
    .extend(telemetryEnv.shape)
    .extend({ KAFKA_BROKERS: telemetryEnv.shape.KAFKA_BROKERS.unwrap(), CLICKHOUSE_URL: z.string().url(), REDIS_URL: z.string().url() }),
);
const logger = createLogger({ name: 'writer', level: config.LOG_LEVEL, format: config.LOG_FORMAT });

runService(logger, 'telemetry writer', async (onClose) => {
  const metrics = createMetrics('writer');
  // Latest values go to Redis as well, where the analytics subgraph reads them (latest-cache.ts).
  const cache = createCache({ redisUrl: config.REDIS_URL, keyPrefix: 'ump:' });
  onClose(() => cache.close());
  const store = createClickHouseStore({ ...clickhouseOptions(config), latestCache: cache });
  onClose(() => store.close());
  await store.migrate();
  const bus = createEventBus({
    kafkaBrokers: config.KAFKA_BROKERS,
    partitions: config.KAFKA_PARTITIONS,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    clientId: 'ump-writer',
    logger,
  });
  onClose(() => bus.close());
  const writer = createTelemetryWriter({ bus, store, logger, metrics: metrics.registry });
  await writer.start();
  onClose(() => writer.stop());
  // Alert events for analytics: same ClickHouse, its own consumer group.
  const alertHistory = createAlertHistoryWriter({ bus, store: store.alertHistory, logger, metrics: metrics.registry });
  await alertHistory.start();
  onClose(() => alertHistory.stop());
  // Rollout events for analytics, likewise.
  const rolloutHistory = createRolloutHistoryWriter({ bus, store: store.rolloutHistory, logger, metrics: metrics.registry });
  await rolloutHistory.start();
  onClose(() => rolloutHistory.stop());
  // /healthz and /metrics only: the writer serves no API.
  const http = createHttpServer({ routes: {}, registry: metrics.registry, logger });
  const port = await http.listen(config.PORT ?? 4090, config.HOST);
  onClose(() => http.close());
  logger.info({ port, store: store.location }, 'telemetry writer running');
});
