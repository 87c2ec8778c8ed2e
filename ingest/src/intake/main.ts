// The device intake as its own process (multi-process mode). PostgreSQL, Redis and Kafka
// are required: credentials, rate limits and last-seen times must be shared with the other
// processes, and telemetry must outlive this one.
import { createCache, createEventBus, createFileArtifactStore, createLogger, createMetrics, loadConfigOrExit, loggingEnv, runService } from '@ump/core';
import { intakeEnv, intakeProcessEnv, otaEnv } from '@ump/core';
import { createDatabase } from '@ump/db';
import { intakeConfigFromEnv } from './config';
import { createIntake } from './index';

// OTA_ARTIFACTS_DIR: the firmware folder the OTA subgraph writes; unset, downloads answer 503.
const config = loadConfigOrExit(
  loggingEnv.extend(intakeEnv.shape).extend(intakeProcessEnv.shape).extend(otaEnv.pick({ OTA_ARTIFACTS_DIR: true }).shape),
);
const logger = createLogger({ name: 'intake', level: config.LOG_LEVEL, format: config.LOG_FORMAT });

runService(logger, 'device intake', async (onClose) => {
  const database = await createDatabase({ databaseUrl: config.DATABASE_URL });
  onClose(() => database.close());
  const cache = createCache({ redisUrl: config.REDIS_URL, keyPrefix: 'ump:' });
  onClose(() => cache.close());
  const bus = createEventBus({ kafkaBrokers: config.KAFKA_BROKERS, topicPrefix: config.KAFKA_TOPIC_PREFIX, clientId: 'ump-intake', logger });
  onClose(() => bus.close());
  const artifacts = config.OTA_ARTIFACTS_DIR === undefined ? undefined : createFileArtifactStore(config.OTA_ARTIFACTS_DIR);
  if (!artifacts) logger.warn('OTA_ARTIFACTS_DIR is not set: firmware downloads answer 503');
  const intake = createIntake({
    prisma: database.prisma,
    cache,
    bus,
    logger,
    metrics: createMetrics('intake'),
    config: intakeConfigFromEnv(config),
    artifacts,
  });
  await intake.start();
  onClose(() => intake.stop());
});
