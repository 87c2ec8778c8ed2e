// The analytics subgraph as its own process (multi-process mode): reads ClickHouse.
import {
  authEnv,
  clickhouseOptions,
  closeOnSignals,
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

async function main() {
  const store = createClickHouseStore(clickhouseOptions(config));
  await store.migrate();
  const metrics = createMetrics('analytics');
  const subgraph = createAnalyticsSubgraph({ store, logger, metrics, internalSecret: config.UMP_INTERNAL_SECRET });
  const served = await serveSubgraph(subgraph, { port: config.PORT ?? 4005, host: config.HOST, logger, metrics });
  closeOnSignals(logger, async () => {
    await served.close();
    await store.close();
  });
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, 'analytics subgraph failed to start');
  process.exitCode = 1;
});
