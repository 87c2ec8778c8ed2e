import { Kafka, type Admin } from 'kafkajs';
import { assertSubscribeOptions, encodeMessages } from './event-bus-support';
import type { BusSubscription, EventBus, OutgoingMessage } from './event-bus';
import { createKafkaSubscription } from './kafka-consumer';
import { createPublishBatcher } from './publish-batcher';
import { resolveKafkaBusOptions, type KafkaBusOptions } from './kafka-options';
import { murmur2Partitioner } from './kafka-partitioner';
import { isRetriable, kafkaLogSettings, withTimeout } from './kafka-support';

export type { KafkaBusOptions } from './kafka-options';

/** The Kafka adapter: an {@link EventBus} that can also create its topics up front. */
export interface KafkaBus extends EventBus {
  /**
   * Creates the missing ones of these (unprefixed) topics with the configured partitions and
   * replication factor, waiting for their leaders. Each topic is checked once per bus (a
   * failure is retried on the next call). publish and subscribe call it themselves.
   */
  ensureTopics(names: string[]): Promise<void>;
}

/**
 * {@link EventBus} on Kafka via kafkajs. Publishing uses one idempotent producer (acks from
 * all in-sync replicas, one request in flight, so retries neither duplicate nor reorder);
 * keys pick partitions with murmur2 as the Java client does. Each subscription is its own
 * kafkajs consumer, whose Kafka group is `<topicPrefix><groupId>:<topic>`: the port's
 * groups are per topic, and kafkajs' assigner would hand one member partitions of another
 * member's topic (which it then ignores) if a group spanned topics. Records written by
 * other producers are decoded leniently (a value that is not JSON arrives as its raw text,
 * see decodeKafkaMessage). Connections open lazily; close() lets sends in flight finish.
 * Throws a RangeError for invalid numeric options and a TypeError without brokers.
 */
export function createKafkaBus(options: KafkaBusOptions): KafkaBus {
  const { brokers, clientId, partitions, replicationFactor, topicPrefix, onError, logger, retries, publishTimeoutMs, tuning } =
    resolveKafkaBusOptions(options);

  const kafka = new Kafka({ brokers, clientId, retry: { retries }, ...kafkaLogSettings(logger) });
  // A failed connect is forgotten, so the next call tries again instead of failing for ever.
  const lazily = <C extends { connect(): Promise<void>; disconnect(): Promise<void> }>(client: C) => {
    let ready: Promise<void> | undefined;
    return {
      client: async () => {
        ready ??= client.connect().catch((error: unknown) => {
          ready = undefined;
          throw error;
        });
        await ready;
        return client;
      },
      disconnect: async () => ready && client.disconnect(),
    };
  };
  const newProducer = () =>
    lazily(
      kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        // murmur2 like the Java client, without kafkajs' Long arithmetic; naming a partitioner
        // also silences kafkajs' warning about its default.
        createPartitioner: murmur2Partitioner,
        allowAutoTopicCreation: false,
      }),
    );
  let producer = newProducer();
  const admin = lazily(kafka.admin());
  const topicsReady = new Map<string, Promise<void>>();
  const subscriptions = new Set<BusSubscription>();
  /** Broker work not yet settled (even a send whose caller timed out): close() lets it finish. */
  const pending = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>) => {
    pending.add(work);
    void work.catch(() => {}).finally(() => pending.delete(work));
    return work;
  };
  let closed = false;
  let closing: Promise<void> | undefined;
  const open = () => {
    if (closed) throw new Error('event bus is closed');
  };
  const kafkaName = (topic: string) => topicPrefix + topic;
  const leaderWaitMs = 30_000;

  const createMissing = async (names: string[]) => {
    const client = await admin.client();
    const existing = new Set(await client.listTopics());
    const missing = names.map(kafkaName).filter((name) => !existing.has(name));
    if (missing.length === 0) return;
    // Resolves false when another process created them meanwhile, which is just as good,
    // except that their leaders may not be elected yet: so wait for those ourselves.
    await client.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor })),
    });
    await waitForLeaders(client, missing);
  };

  // Several processes starting at once on a fresh broker race to create the same topics; the
  // losers see UNKNOWN_TOPIC_OR_PARTITION or LEADER_NOT_AVAILABLE for a moment. Those are
  // retried until every partition has a leader, so no process fails its start over them.
  const waitForLeaders = async (client: Admin, topics: string[]) => {
    const deadline = Date.now() + leaderWaitMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const { topics: found } = await client.fetchTopicMetadata({ topics });
        const led = found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
        if (led) return;
        if (Date.now() > deadline) throw new Error(`kafka topics ${topics.join(', ')} have no leader after ${leaderWaitMs} ms`);
      } catch (error) {
        if (!isRetriable(error) || Date.now() > deadline) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(50 * attempt, 500)));
    }
  };

  const ensureTopics = async (names: string[]) => {
    open();
    const unknown = [...new Set(names)].filter((name) => !topicsReady.has(name));
    if (unknown.length > 0) {
      const created = track(createMissing(unknown));
      for (const name of unknown) {
        topicsReady.set(
          name,
          created.catch((error: unknown) => {
            topicsReady.delete(name);
            throw error;
          }),
        );
      }
    }
    await Promise.all(names.map((name) => topicsReady.get(name)));
  };

  const sendNow = async (topic: string, messages: OutgoingMessage[], values: string[]) => {
    const current = producer;
    let sending = false;
    try {
      await ensureTopics([topic]);
      sending = true;
      await (await current.client()).send({
        topic: kafkaName(topic),
        acks: -1,
        messages: messages.map(({ key, headers }, i) => ({ key, value: values[i]!, headers: { ...headers } })),
      });
    } catch (error) {
      // kafkajs rolls a failed batch's sequence numbers back, though the broker may have
      // written it (a lost response): the next batch of the same size would then pass for
      // a duplicate and be dropped. A fresh producer gets a fresh id and sequences.
      if (sending && producer === current) {
        producer = newProducer();
        track(current.disconnect());
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`kafka publish to ${topic} failed against ${brokers.join(',')}: ${reason}`, { cause: error });
    }
  };

  const batcher = createPublishBatcher(sendNow);

  return {
    ensureTopics,

    async publish(topic, messages) {
      open();
      const values = encodeMessages(topic, messages);
      if (messages.length === 0) return;
      const send = track(batcher.publish(topic, messages, values));
      // Each request may wait its full timeout before a retry, so without a bound a caller
      // could hang for minutes. A message may still land after this rejection (a retry by
      // the caller then duplicates it: consumers are idempotent anyway).
      await withTimeout(send, publishTimeoutMs, () => new Error(`kafka did not acknowledge ${messages.length} message(s) to ${topic} within ${publishTimeoutMs} ms (brokers ${brokers.join(',')})`));
    },

    buffered: (topic) => batcher.pending(topic),

    async subscribe(subscribeOptions) {
      open();
      assertSubscribeOptions(subscribeOptions);
      const { topic, groupId } = subscribeOptions;
      // The topic must exist, with our partition count, before the consumer subscribes:
      // kafkajs refuses a topic the broker does not host (we disable auto-creation, which
      // would use the broker's partition count).
      await ensureTopics([topic]);
      open();
      const kafkaTopic = kafkaName(topic);
      const { subscription, ready } = createKafkaSubscription({
        kafka,
        admin: admin.client,
        options: subscribeOptions,
        kafkaTopic,
        kafkaGroupId: `${topicPrefix}${groupId}:${topic}`,
        tuning,
        onError,
        logger,
      });
      const tracked: BusSubscription = {
        async stop() {
          subscriptions.delete(tracked);
          await subscription.stop();
        },
      };
      subscriptions.add(tracked);
      try {
        await ready;
      } catch (error) {
        await tracked.stop();
        open();
        throw error;
      }
      return tracked;
    },

    close() {
      closing ??= (async () => {
        closed = true;
        await Promise.all([...subscriptions].map((s) => s.stop()));
        await Promise.allSettled([...pending]);
        await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
      })();
      return closing;
    },
  };
}
