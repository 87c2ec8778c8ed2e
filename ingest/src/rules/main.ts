// The rule worker as its own process (multi-process mode): Kafka in and out, rules from
// PostgreSQL, per-device rule state and rule-change notifications in Redis (shared, so a
// partition that moves to another worker continues where this one left off). Run several
// in one consumer group to split the partitions.
import {
  brokerList,
  runService,
  createCache,
  createEventBus,
  createHttpServer,
  createLogger,
  createMetrics,
  loadConfigOrExit,
  loggingEnv,
  subgraphEnv,
  telemetryEnv,
} from '@ump/core';
import { createDatabase } from '@ump/db';
import { z } from 'zod';
import { createRuleWorker } from './rule-worker';

const config = loadConfigOrExit(
  loggingEnv.extend(subgraphEnv.shape).extend({
    DATABASE_URL: z.string().url(),
    REDIS_URL: z.string().url(),
    KAFKA_BROKERS: brokerList,
    KAFKA_PARTITIONS: telemetryEnv.shape.KAFKA_PARTITIONS,
    KAFKA_TOPIC_PREFIX: telemetryEnv.shape.KAFKA_TOPIC_PREFIX,
  }),
);
const logger = createLogger({ name: 'rules', level: config.LOG_LEVEL, format: config.LOG_FORMAT });

runService(logger, 'rule worker', async (onClose) => {
  const metrics = createMetrics('rules');
  const database = await createDatabase({ databaseUrl: config.DATABASE_URL });
  onClose(() => database.close());
  const cache = createCache({ redisUrl: config.REDIS_URL, keyPrefix: 'ump:' });
  onClose(() => cache.close());
  const bus = createEventBus({
    kafkaBrokers: config.KAFKA_BROKERS,
    partitions: config.KAFKA_PARTITIONS,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    clientId: 'ump-rules',
    logger,
  });
  onClose(() => bus.close());
  const worker = createRuleWorker({ bus, prisma: database.prisma, cache, logger, metrics: metrics.registry });
  await worker.start();
  onClose(() => worker.stop());
  // /healthz and /metrics only: the worker serves no API.
  const http = createHttpServer({ routes: {}, registry: metrics.registry, logger });
  const port = await http.listen(config.PORT ?? 4082, config.HOST);
  onClose(() => http.close());
  logger.info({ port }, 'rule worker running');
});
