// The device subgraph as its own process (multi-process mode). PostgreSQL, Redis and the
// shared secrets are required here: every process must agree on them.
import {
  authEnv,
  clusterEnv,
  runService,
  createCache,
  createLogger,
  createMetrics,
  loadConfigOrExit,
  loggingEnv,
  serveSubgraph,
  subgraphEnv,
} from '@ump/core';
import { createDatabase } from '@ump/db';
import { createDeviceSubgraph } from './index';

const config = loadConfigOrExit(loggingEnv.extend(subgraphEnv.shape).extend(authEnv.shape).extend(clusterEnv.shape));
const logger = createLogger({ name: 'device', level: config.LOG_LEVEL, format: config.LOG_FORMAT });

runService(logger, 'device subgraph', async (onClose) => {
  const database = await createDatabase({ databaseUrl: config.DATABASE_URL });
  onClose(() => database.close());
  const cache = createCache({ redisUrl: config.REDIS_URL, keyPrefix: 'ump:' });
  onClose(() => cache.close());
  const metrics = createMetrics('device');
  const subgraph = createDeviceSubgraph({
    prisma: database.prisma,
    cache,
    logger,
    metrics,
    internalSecret: config.UMP_INTERNAL_SECRET,
  });
  const served = await serveSubgraph(subgraph, { port: config.PORT ?? 4002, host: config.HOST, logger, metrics });
  onClose(() => served.close());
});
