// The analytics subgraph as its own process (multi-process mode): reads ClickHouse (latest values from Redis).
import {
  authEnv,
  clickhouseOptions,
  createCache,
  runService,
  createClickHouseStore,
  createLogger,
  createMetrics,
  loadConfigOrExit,
  loggingEnv,
  serveSubgraph,
  subgraphEnv,
  telemetryEnv,
} from '@ump/core';
import { z } from 'zod';
import { createAnalyticsSubgraph } from './index';

const config = loadConfigOrExit(
  loggingEnv
    .extend(subgraphEnv.shape)
    .extend(telemetryEnv.shape)
    .extend({ CLICKHOUSE_URL: z.string().url(), REDIS_URL: z.string().url(), UMP_INTERNAL_SECRET: authEnv.shape.UMP_INTERNAL_SECRET.unwrap() }),
);
const logger = createLogger({ name: 'analytics', level: config.LOG_LEVEL, format: config.LOG_FORMAT });

runService(logger, 'analytics subgraph', async (onClose) => {
  // Latest values are read from Redis first, where the writer keeps them (latest-cache.ts).
  const cache = createCache({ redisUrl: config.REDIS_URL, keyPrefix: 'ump:' });
  onClose(() => cache.close());
  const store = createClickHouseStore({ ...clickhouseOptions(config), latestCache: cache });
  onClose(() => store.close());
  await store.migrate();
  const metrics = createMetrics('analytics');
  const subgraph = createAnalyticsSubgraph({ store, logger, metrics, internalSecret: config.UMP_INTERNAL_SECRET });
  const served = await serveSubgraph(subgraph, { port: config.PORT ?? 4005, host: config.HOST, logger, metrics });
  onClose(() => served.close());
});
