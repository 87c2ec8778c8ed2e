// The gateway as its own process (multi-process mode): subgraphs are reached over HTTP.
import {
  authEnv,
  clusterEnv,
  closeOnSignals,
  createCache,
  createLogger,
  createMetrics,
  gatewayEnv,
  loadConfigOrExit,
  loggingEnv,
} from '@ump/core';
import { createGateway } from './gateway';
import { serveGateway } from './serve-gateway';
import { readSupergraph } from './supergraph';

const config = loadConfigOrExit(
  loggingEnv.extend(gatewayEnv.shape).extend(authEnv.shape).extend(clusterEnv.omit({ DATABASE_URL: true }).shape),
);
const logger = createLogger({ name: 'gateway', level: config.LOG_LEVEL, format: config.LOG_FORMAT });

async function main() {
  const metrics = createMetrics('gateway');
  const cache = createCache({ redisUrl: config.REDIS_URL, keyPrefix: 'ump:' });
  const gateway = createGateway({
    supergraphSdl: readSupergraph(),
    subgraphUrls: {
      tenant: config.SUBGRAPH_TENANT_URL,
      device: config.SUBGRAPH_DEVICE_URL,
      analytics: config.SUBGRAPH_ANALYTICS_URL,
    },
    jwtSecret: config.JWT_SECRET,
    internalSecret: config.UMP_INTERNAL_SECRET,
    cache,
    logger,
    metrics,
    limits: { maxDepth: config.GRAPHQL_MAX_DEPTH, maxCost: config.GRAPHQL_MAX_COST },
  });
  const served = await serveGateway(gateway, { port: config.PORT, host: config.HOST, logger, metrics });
  logger.info(`gateway listening on http://localhost:${served.port}/graphql`);
  closeOnSignals(logger, async () => {
    await served.close();
    await cache.close();
  });
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, 'gateway failed to start');
  process.exitCode = 1;
});
