import { randomUUID } from 'node:crypto';
import { createKafkaBus } from '../ports/kafka-bus';
import { createMemoryBus } from '../ports/memory-bus';
import { testServiceUrls } from './services';

type Track = (close: () => Promise<void>) => void;

/**
 * Buses for consumer tests: they retry a failed batch after 20 ms instead of the production
 * back-off and record every handler failure in `failures`. `track` receives each bus's close,
 * so a fixture closes them after the test.
 */
export function testBuses(track: Track, clientId: string) {
  return {
    /** A 3-partition in-process bus handing out batches of at most `maxBatchSize`. */
    memoryBus(maxBatchSize: number) {
      const failures: unknown[] = [];
      const bus = createMemoryBus({ partitions: 3, maxBatchSize, retryBackoffMs: 20, onError: (error) => failures.push(error) });
      track(() => bus.close());
      return { bus, failures };
    },
    /** A bus on the test Kafka broker, under a topic prefix of its own. */
    kafkaBus() {
      const failures: unknown[] = [];
      const bus = createKafkaBus({
        brokers: [new URL(testServiceUrls.kafka).host],
        clientId,
        topicPrefix: `ump-test-${randomUUID().slice(0, 8)}.`,
        retryBackoffMs: 20,
        sessionTimeoutMs: 10_000,
        onError: (error) => failures.push(error),
      });
      track(() => bus.close());
      return { bus, failures };
    },
  };
}
