// The device intake as its own process (multi-process mode). PostgreSQL, Redis and Kafka
// are required: credentials, rate limits and last-seen times must be shared with the other
// processes, and telemetry must outlive this one.
import { closeOnSignals, createCache, createEventBus, createLogger, createMetrics, loadConfigOrExit, loggingEnv } from '@ump/core';
import { intakeEnv, intakeProcessEnv } from '@ump/core';
import { createDatabase } from '@ump/db';
import { intakeConfigFromEnv } from './config';
import { createIntake } from './index';

const config = loadConfigOrExit(loggingEnv.extend(intakeEnv.shape).extend(intakeProcessEnv.shape));
const logger = createLogger({ name: 'intake', level: config.LOG_LEVEL, format: config.LOG_FORMAT });

async function main() {
  const database = await createDatabase({ databaseUrl: config.DATABASE_URL });
  const cache = createCache({ redisUrl: config.REDIS_URL, keyPrefix: 'ump:' });
  const bus = createEventBus({ kafkaBrokers: config.KAFKA_BROKERS, clientId: 'ump-intake', logger });
  const close = async () => {
    await bus.close();
    await cache.close();
    await database.close();
  };
  const intake = createIntake({ prisma: database.prisma, cache, bus, logger, metrics: createMetrics('intake'), config: intakeConfigFromEnv(config) });
  try {
    await intake.start();
  } catch (error) {
    await close();
    throw error;
  }
  closeOnSignals(logger, async () => {
    await intake.stop();
    await close();
  });
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, `device intake failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
