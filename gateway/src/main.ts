// The gateway as its own process (multi-process mode): subgraphs are reached over HTTP.
import {
  authEnv,
  clusterEnv,
  runService,
  createCache,
  createEventBus,
  createLogger,
  createMetrics,
  gatewayEnv,
  loadConfigOrExit,
  loggingEnv,
  telemetryEnv,
} from '@ump/core';
import { createGateway } from './gateway';
import { serveGateway } from './serve-gateway';
import { readSupergraph } from './supergraph';

const config = loadConfigOrExit(
  loggingEnv
    .extend(gatewayEnv.shape)
    .extend(authEnv.shape)
    .extend(clusterEnv.omit({ DATABASE_URL: true }).shape)
    // Subscriptions consume alert, ticket and rollout events from Kafka, shared with the other processes.
    .extend({ KAFKA_BROKERS: telemetryEnv.shape.KAFKA_BROKERS, KAFKA_TOPIC_PREFIX: telemetryEnv.shape.KAFKA_TOPIC_PREFIX }),
);
const logger = createLogger({ name: 'gateway', level: config.LOG_LEVEL, format: config.LOG_FORMAT });

runService(logger, 'gateway', async (onClose) => {
  const metrics = createMetrics('gateway');
  const cache = createCache({ redisUrl: config.REDIS_URL, keyPrefix: 'ump:' });
  onClose(() => cache.close());
  const gateway = createGateway({
    supergraphSdl: readSupergraph(),
    subgraphUrls: {
      tenant: config.SUBGRAPH_TENANT_URL,
      device: config.SUBGRAPH_DEVICE_URL,
      alert: config.SUBGRAPH_ALERT_URL,
      ota: config.SUBGRAPH_OTA_URL,
      analytics: config.SUBGRAPH_ANALYTICS_URL,
    },
    jwtSecret: config.JWT_SECRET,
    internalSecret: config.UMP_INTERNAL_SECRET,
    cache,
    logger,
    metrics,
    limits: { maxDepth: config.GRAPHQL_MAX_DEPTH, maxCost: config.GRAPHQL_MAX_COST },
  });
  // An in-process bus would never see another process's events: no Kafka, no subscriptions.
  const bus = config.KAFKA_BROKERS ? createEventBus({ kafkaBrokers: config.KAFKA_BROKERS, topicPrefix: config.KAFKA_TOPIC_PREFIX, clientId: 'ump-gateway', logger }) : undefined;
  if (bus) onClose(() => bus.close());
  else logger.warn('KAFKA_BROKERS is not set: GraphQL subscriptions are off');
  const served = await serveGateway(gateway, {
    port: config.PORT,
    host: config.HOST,
    logger,
    metrics,
    subscriptions: bus ? { bus } : undefined,
  });
  onClose(() => served.close());
  logger.info(`gateway listening on http://localhost:${served.port}/graphql`);
});
