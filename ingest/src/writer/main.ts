// The telemetry writer as its own process (multi-process mode): Kafka in, ClickHouse out.
// Run several in one consumer group to split the partitions.
import {
  clickhouseOptions,
  closeOnSignals,
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
import { createTelemetryWriter } from './telemetry-writer';

const config = loadConfigOrExit(
  loggingEnv
    .extend(subgraphEnv.shape)
    .extend(telemetryEnv.shape)
    .extend({ KAFKA_BROKERS: telemetryEnv.shape.KAFKA_BROKERS.unwrap(), CLICKHOUSE_URL: z.string().url() }),
);
const logger = createLogger({ name: 'writer', level: config.LOG_LEVEL, format: config.LOG_FORMAT });

async function main() {
  const metrics = createMetrics('writer');
  const store = createClickHouseStore(clickhouseOptions(config));
  await store.migrate();
  const bus = createEventBus({ kafkaBrokers: config.KAFKA_BROKERS, partitions: config.KAFKA_PARTITIONS, clientId: 'ump-writer', logger });
  const writer = createTelemetryWriter({ bus, store, logger, metrics: metrics.registry });
  await writer.start();
  // /healthz and /metrics only: the writer serves no API.
  const http = createHttpServer({ routes: {}, registry: metrics.registry, logger });
  const port = await http.listen(config.PORT ?? 4090, config.HOST);
  logger.info({ port, store: store.location }, 'telemetry writer running');
  closeOnSignals(logger, async () => {
    await http.close();
    await writer.stop();
    await bus.close();
    await store.close();
  });
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, 'telemetry writer failed to start');
  process.exitCode = 1;
});
