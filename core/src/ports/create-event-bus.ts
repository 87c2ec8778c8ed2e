import type { BusErrorReporter, EventBus } from './event-bus';
import { createKafkaBus } from './kafka-bus';
import type { KafkaBusLogger } from './kafka-support';
import { createMemoryBus } from './memory-bus';

/** Options of {@link createEventBus}. */
export interface CreateEventBusOptions {
  /** Kafka bootstrap brokers (`host:port`); when absent or empty the bus is in-process. */
  kafkaBrokers?: string[];
  /** Names this process to Kafka; unused by the in-process bus. */
  clientId: string;
  /** Partitions of new topics; default 3 (both adapters). */
  partitions?: number;
  /** Namespace of Kafka topics and consumer groups; default ''. The in-process bus needs none. */
  topicPrefix?: string;
  /** Receives handler failures; default logs to stderr. */
  onError?: BusErrorReporter;
  /** Receives Kafka client warnings and errors; default none (silent). */
  logger?: KafkaBusLogger;
  /**
   * Most messages in one in-process batch; default 100. Kafka batches are bounded by bytes
   * (about a thousand telemetry messages) instead.
   */
  maxBatchSize?: number;
  /** In-process only: messages kept per partition once every group has consumed them (see MemoryBusOptions). */
  retainConsumed?: number;
}

/**
 * Chooses the event-bus adapter from configuration: Kafka when brokers are given, otherwise
 * the in-process bus (single instance, lost on restart). The caller reads its own
 * configuration (nothing here touches process.env); blank broker entries are dropped, since
 * a split of an unset variable often yields ['']. Throws what the chosen adapter throws
 * for invalid options.
 */
export function createEventBus(opts: CreateEventBusOptions): EventBus {
  const { kafkaBrokers, clientId, partitions, topicPrefix, onError, logger, maxBatchSize, retainConsumed } = opts;
  const brokers = (kafkaBrokers ?? []).map((broker) => broker.trim()).filter((broker) => broker !== '');
  if (brokers.length > 0) return createKafkaBus({ brokers, clientId, partitions, topicPrefix, onError, logger });
  return createMemoryBus({ partitions, onError, maxBatchSize, retainConsumed });
}
