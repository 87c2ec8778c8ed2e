// The analytics subgraph as its own process (multi-process mode): reads ClickHouse.
import {
  authEnv,
  clickhouseOptions,
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
    .extend({ CLICKHOUSE_URL: z.string().url(), UMP_INTERNAL_SECRET: authEnv.shape.UMP_INTERNAL_SECRET.unwrap() }),
);
const logger = createLogger({ name: 'analytics', level: config.LOG_LEVEL, format: config.LOG_FORMAT });

runService(logger, 'analytics subgraph', async (onClose) => {
  const store = createClickHouseStore(clickhouseOptions(config));
  onClose(() => store.close());
  await store.migrate();
  const metrics = createMetrics('analytics');
  const subgraph = createAnalyticsSubgraph({ store, logger, metrics, internalSecret: config.UMP_INTERNAL_SECRET });
  const served = await serveSubgraph(subgraph, { port: config.PORT ?? 4005, host: config.HOST, logger, metrics });
  onClose(() => served.close());
});
