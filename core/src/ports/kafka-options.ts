import type { BusErrorReporter } from './event-bus';
import type { KafkaBusLogger } from './kafka-support';

/** Options of {@link createKafkaBus}. */
export interface KafkaBusOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  /** Names this process in broker logs and quotas. */
  clientId: string;
  /** Partitions of the topics this bus creates; default 3. Existing topics are left as they are. */
  partitions?: number;
  /** Replication factor of the topics this bus creates; default 1 (a single broker). */
  replicationFactor?: number;
  /**
   * Prepended to every topic and consumer-group name in Kafka (not in what the port shows:
   * batches and errors carry the unprefixed topic), so deployments or test runs can share a
   * cluster; default ''.
   */
  topicPrefix?: string;
  /** Receives handler failures; default logs to stderr. */
  onError?: BusErrorReporter;
  /** Receives kafkajs warnings and errors; without one kafkajs logs nothing. */
  logger?: KafkaBusLogger;
  /** Back-off before the first redelivery of a failed batch, doubling per failure; default 100 ms. */
  retryBackoffMs?: number;
  /** Cap of that back-off; default 5000 ms. */
  maxRetryBackoffMs?: number;
  /** A consumer that sends no heartbeat for this long loses its partitions; default 30000 ms. */
  sessionTimeoutMs?: number;
  /** Heartbeat period; default a third of the session timeout, at most 3000 ms. */
  heartbeatIntervalMs?: number;
  /** How long a rebalance waits for members to rejoin; default 60000 ms. */
  rebalanceTimeoutMs?: number;
  /**
   * Longest a fetch waits for new messages (the Java client's fetch.max.wait.ms); also bounds
   * how late a paused partition resumes and how long stop() waits; default 500 ms.
   */
  maxWaitTimeMs?: number;
  /**
   * Most bytes a fetch returns per partition, and so the size of a consumer's biggest batch;
   * default 8 MiB, some 25,000 telemetry messages. kafkajs' own 1 MiB made batches of about
   * 3,000, and each batch costs the telemetry writer four chDB statements however small:
   * the writer stored 1.1-1.5x faster with 8 MiB (measured, `npm run bench:writer` on
   * Kafka; bench/README.md, "Through Kafka").
   */
  maxBytesPerPartition?: number;
  /** subscribe() rejects when the consumer has not joined its group by then; default 90000 ms. */
  joinTimeoutMs?: number;
  /**
   * Retries of a failed connection or request (kafkajs' exponential back-off from 300 ms, so
   * 5 retries take about 10 s); default 5, at least 1 (the idempotent producer needs one).
   * Consumers restart after a crash regardless.
   */
  retries?: number;
  /** publish() rejects when Kafka has not acknowledged by then; default 30000 ms. */
  publishTimeoutMs?: number;
}

/** Group timing and redelivery settings of one subscription. */
export interface KafkaConsumerTuning {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  maxWaitTimeMs: number;
  maxBytesPerPartition: number;
  joinTimeoutMs: number;
  retryBackoffMs: number;
  maxRetryBackoffMs: number;
  /** Partitions one consumer processes at the same time (each one still strictly in order). */
  concurrency: number;
}

/** {@link KafkaBusOptions} with every default applied. */
export interface ResolvedKafkaBusOptions {
  brokers: string[];
  clientId: string;
  partitions: number;
  replicationFactor: number;
  topicPrefix: string;
  onError: BusErrorReporter;
  logger: KafkaBusLogger | undefined;
  retries: number;
  publishTimeoutMs: number;
  tuning: KafkaConsumerTuning;
}

/**
 * Applies the defaults documented on {@link KafkaBusOptions}. Throws a TypeError without
 * brokers and a RangeError for a numeric option that is not a positive integer.
 */
export function resolveKafkaBusOptions(options: KafkaBusOptions): ResolvedKafkaBusOptions {
  const { brokers, clientId, partitions = 3, replicationFactor = 1, topicPrefix = '', logger } = options;
  const { retries = 5, publishTimeoutMs = 30_000, sessionTimeoutMs = 30_000 } = options;
  const tuning: KafkaConsumerTuning = {
    sessionTimeoutMs,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? Math.min(3_000, Math.floor(sessionTimeoutMs / 3)),
    rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 60_000,
    maxWaitTimeMs: options.maxWaitTimeMs ?? 500,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 8 * 1024 * 1024,
    joinTimeoutMs: options.joinTimeoutMs ?? 90_000,
    retryBackoffMs: options.retryBackoffMs ?? 100,
    maxRetryBackoffMs: options.maxRetryBackoffMs ?? 5_000,
    // Like the in-process bus, a slow partition must not hold up the others of a consumer.
    concurrency: partitions,
  };
  if (!Array.isArray(brokers) || brokers.length === 0) throw new TypeError('brokers must list at least one host:port');
  for (const [name, value] of Object.entries({ partitions, replicationFactor, retries, publishTimeoutMs, ...tuning })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  const onError = options.onError ?? ((error, context) => console.error('[ump bus]', context, error));
  return { brokers, clientId, partitions, replicationFactor, topicPrefix, onError, logger, retries, publishTimeoutMs, tuning };
}
