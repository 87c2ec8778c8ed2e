// The tenant subgraph as its own process (multi-process mode). PostgreSQL, Redis and the
// shared secrets are required here: every process must agree on them.
import {
  adminEnv,
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
import { createTenantSubgraph } from './index';
import { ensurePlatformAdmin } from './bootstrap';

const config = loadConfigOrExit(loggingEnv.extend(subgraphEnv.shape).extend(authEnv.shape).extend(adminEnv.shape).extend(clusterEnv.shape));
const logger = createLogger({ name: 'tenant', level: config.LOG_LEVEL, format: config.LOG_FORMAT });

runService(logger, 'tenant subgraph', async (onClose) => {
  const database = await createDatabase({ databaseUrl: config.DATABASE_URL });
  onClose(() => database.close());
  const cache = createCache({ redisUrl: config.REDIS_URL, keyPrefix: 'ump:' });
  onClose(() => cache.close());
  const metrics = createMetrics('tenant');
  const admin = await ensurePlatformAdmin(database.prisma, {
    email: config.UMP_ADMIN_EMAIL,
    password: config.UMP_ADMIN_PASSWORD,
    logger,
  });
  if (admin.generatedPassword) {
    logger.warn(`platform admin ${config.UMP_ADMIN_EMAIL} created with password ${admin.generatedPassword} (shown once)`);
  }
  const subgraph = createTenantSubgraph({
    prisma: database.prisma,
    cache,
    logger,
    metrics,
    internalSecret: config.UMP_INTERNAL_SECRET,
    jwtSecret: config.JWT_SECRET,
    jwtTtlSeconds: config.JWT_TTL_SECONDS,
  });
  const served = await serveSubgraph(subgraph, { port: config.PORT ?? 4001, host: config.HOST, logger, metrics });
  onClose(() => served.close());
});
