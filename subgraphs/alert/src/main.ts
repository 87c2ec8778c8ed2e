// The alert subgraph as its own process (multi-process mode): serves rules, alerts and
// tickets, and consumes alert.signals.v1. PostgreSQL, Redis, Kafka and the shared secrets
// are required here: every process must agree on them.
import {
  authEnv,
  clusterEnv,
  runService,
  createCache,
  createEventBus,
  createLogger,
  createMetrics,
  loadConfigOrExit,
  loggingEnv,
  serveSubgraph,
  subgraphEnv,
  telemetryEnv,
} from '@ump/core';
import { createDatabase } from '@ump/db';
import { createAlertSubgraph, createSignalConsumer } from './index';
import { createTicketAutomation } from './tickets';

const config = loadConfigOrExit(
  loggingEnv
    .extend(subgraphEnv.shape)
    .extend(authEnv.shape)
    .extend(clusterEnv.shape)
    .extend({ KAFKA_BROKERS: telemetryEnv.shape.KAFKA_BROKERS.unwrap(), KAFKA_PARTITIONS: telemetryEnv.shape.KAFKA_PARTITIONS, KAFKA_TOPIC_PREFIX: telemetryEnv.shape.KAFKA_TOPIC_PREFIX }),
);
const logger = createLogger({ name: 'alert', level: config.LOG_LEVEL, format: config.LOG_FORMAT });

runService(logger, 'alert subgraph', async (onClose) => {
  const database = await createDatabase({ databaseUrl: config.DATABASE_URL });
  onClose(() => database.close());
  const cache = createCache({ redisUrl: config.REDIS_URL, keyPrefix: 'ump:' });
  onClose(() => cache.close());
  const bus = createEventBus({
    kafkaBrokers: config.KAFKA_BROKERS,
    partitions: config.KAFKA_PARTITIONS,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    clientId: 'ump-alert',
    logger,
  });
  onClose(() => bus.close());
  const metrics = createMetrics('alert');
  const tickets = createTicketAutomation({ bus, logger });
  const deps = { prisma: database.prisma, cache, bus, logger, tickets };
  const consumer = createSignalConsumer({ ...deps, metrics: metrics.registry });
  await consumer.start();
  onClose(() => consumer.stop());
  const subgraph = createAlertSubgraph({ ...deps, metrics, internalSecret: config.UMP_INTERNAL_SECRET });
  const served = await serveSubgraph(subgraph, { port: config.PORT ?? 4003, host: config.HOST, logger, metrics });
  onClose(() => served.close());
});
