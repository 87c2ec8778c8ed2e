// The device intake as its own process (multi-process mode). PostgreSQL, Redis and Kafka
// are required: credentials, rate limits and last-seen times must be shared with the other
// processes, and telemetry must outlive this one.
import { createCache, createEventBus, createLogger, createMetrics, loadConfigOrExit, loggingEnv, runService } from '@ump/core';
import { intakeEnv, intakeProcessEnv } from '@ump/core';
import { createDatabase } from '@ump/db';
import { intakeConfigFromEnv } from './config';
import { createIntake } from './index';

const config = loadConfigOrExit(loggingEnv.extend(intakeEnv.shape).extend(intakeProcessEnv.shape));
const logger = createLogger({ name: 'intake', level: config.LOG_LEVEL, format: config.LOG_FORMAT });

runService(logger, 'device intake', async (onClose) => {
  const database = await createDatabase({ databaseUrl: config.DATABASE_URL });
  onClose(() => database.close());
  const cache = createCache({ redisUrl: config.REDIS_URL, keyPrefix: 'ump:' });
  onClose(() => cache.close());
  const bus = createEventBus({ kafkaBrokers: config.KAFKA_BROKERS, topicPrefix: config.KAFKA_TOPIC_PREFIX, clientId: 'ump-intake', logger });
  onClose(() => bus.close());
  const intake = createIntake({ prisma: database.prisma, cache, bus, logger, metrics: createMetrics('intake'), config: intakeConfigFromEnv(config) });
  await intake.start();
  onClose(() => intake.stop());
});
