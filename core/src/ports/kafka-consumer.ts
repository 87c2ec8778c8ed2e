import type { Admin, EachBatchPayload, Kafka } from 'kafkajs';
import type { BusErrorReporter, BusSubscription, SubscribeOptions } from './event-bus';
import type { KafkaConsumerTuning } from './kafka-options';
import { decodeKafkaMessage, isRetriable, withTimeout, type KafkaBusLogger } from './kafka-support';

/** What {@link createKafkaSubscription} needs from the bus. */
export interface KafkaSubscriptionSettings {
  kafka: Kafka;
  /** The bus's shared admin client, connected. */
  admin: () => Promise<Admin>;
  options: SubscribeOptions;
  /** The topic and group as named in Kafka (prefixed, group scoped to the topic). */
  kafkaTopic: string;
  kafkaGroupId: string;
  tuning: KafkaConsumerTuning;
  onError: BusErrorReporter;
  logger?: KafkaBusLogger;
}

const LINGER_BYTES_PER_MESSAGE = 100;

/**
 * One kafkajs consumer behind the port's subscription. `ready` resolves once the consumer
 * has joined its group and received its partitions (and, without `fromBeginning`, once a
 * new group's start offsets are committed); it rejects after `joinTimeoutMs` or when the
 * subscription is stopped first. Handler failures are reported to `onError` and the batch
 * is fetched again from its first offset after a doubling back-off; meanwhile only that
 * partition is paused. Offsets are committed explicitly, only after a handler resolved.
 */
export function createKafkaSubscription(settings: KafkaSubscriptionSettings): { subscription: BusSubscription; ready: Promise<void> } {
  const { kafka, options, kafkaTopic, kafkaGroupId, tuning, onError, logger } = settings;
  const { topic, groupId, fromBeginning = false, handleBatch, linger } = options;
  const consumer = kafka.consumer({
    groupId: kafkaGroupId,
    sessionTimeout: tuning.sessionTimeoutMs,
    heartbeatInterval: tuning.heartbeatIntervalMs,
    rebalanceTimeout: tuning.rebalanceTimeoutMs,
    // Kafka waits for bytes, not messages: a linger asks for at least LINGER_BYTES_PER_MESSAGE
    // per message (a small telemetry record), so bigger messages only end the wait sooner.
    ...(linger ? { minBytes: linger.minMessages * LINGER_BYTES_PER_MESSAGE } : {}),
    maxWaitTimeInMs: linger ? Math.max(linger.maxWaitMs, 1) : tuning.maxWaitTimeMs,
    // Room for a full batch of every partition the consumer works on at once.
    maxBytesPerPartition: tuning.maxBytesPerPartition,
    maxBytes: tuning.maxBytesPerPartition * tuning.concurrency,
    // The bus creates topics with the configured partitions; never let a fetch create one.
    allowAutoTopicCreation: false,
    // kafkajs leaves a consumer dead after a non-retriable crash; a service would silently
    // stop consuming. Restart (kafkajs backs off and logs every crash) until stopped.
    retry: { restartOnFailure: async () => true },
  });
  const failures = new Map<number, { offset: string; attempt: number }>();
  const backoffs = new Map<number, NodeJS.Timeout>();
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  let stopping: Promise<void> | undefined;
  let markJoined!: () => void;
  let failJoin!: (error: unknown) => void;
  const joined = new Promise<void>((resolve, reject) => {
    markJoined = resolve;
    failJoin = reject;
  });
  joined.catch(() => {}); // may be rejected (stop) before anyone awaits it

  const retryLater = (partition: number, offset: string, error: unknown, pause: () => () => void) => {
    const previous = failures.get(partition);
    const attempt = previous?.offset === offset ? previous.attempt + 1 : 1;
    failures.set(partition, { offset, attempt });
    try {
      onError(error, { topic, groupId, partition, attempt, offset });
    } catch {
      // A broken reporter must not stop redelivery.
    }
    // Nothing was resolved, so kafkajs would refetch from here anyway; the seek makes the
    // rewind explicit rather than a side effect of how kafkajs tracks positions.
    consumer.seek({ topic: kafkaTopic, partition, offset });
    const resume = pause(); // only this partition waits; the consumer's others go on
    const delay = Math.min(tuning.retryBackoffMs * 2 ** (attempt - 1), tuning.maxRetryBackoffMs);
    const timer = setTimeout(() => {
      backoffs.delete(partition);
      resume();
    }, delay);
    timer.unref();
    backoffs.set(partition, timer);
  };

  const eachBatch = async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, pause, isRunning, isStale }: EachBatchPayload) => {
    const { partition } = batch;
    const first = batch.messages[0];
    const last = batch.messages[batch.messages.length - 1];
    if (!first || !last || !isRunning() || isStale()) return;
    // kafkajs heartbeats only between batches: a slow sink would otherwise cost the
    // partition (and a redelivery) whenever a batch outlasts the session timeout.
    const beat = setInterval(() => void heartbeat().catch(() => {}), tuning.heartbeatIntervalMs);
    try {
      await handleBatch({ topic, partition, messages: batch.messages.map(decodeKafkaMessage) });
    } catch (error) {
      retryLater(partition, first.offset, error, pause);
      return;
    } finally {
      clearInterval(beat);
    }
    failures.delete(partition);
    resolveOffset(last.offset);
    // lastOffset() also covers trailing control records (transactions) the batch filtered out.
    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    // A failed commit (e.g. the partition moved in a rebalance) is thrown to kafkajs, which
    // rejoins or restarts; the uncommitted batch is then redelivered, never skipped.
    await commitOffsetsIfNecessary({ topics: [{ topic: kafkaTopic, partitions: [{ partition, offset: next }] }] });
  };

  // Kafka resolves "latest" lazily, at a partition's first fetch and again by whichever
  // member owns it after a rebalance, until something is committed: messages published in
  // between would be skipped. So a new group's start is committed at once, as the port
  // promises ("published after subscribe resolved reaches the group").
  const pinLatest = async (assigned: number[]) => {
    const admin = await settings.admin();
    const [committed] = await admin.fetchOffsets({ groupId: kafkaGroupId, topics: [kafkaTopic] });
    const missing = new Set(
      (committed?.partitions ?? []).filter((p) => assigned.includes(p.partition) && BigInt(p.offset) < 0n).map((p) => p.partition),
    );
    if (missing.size === 0) return;
    const latest = (await admin.fetchTopicOffsets(kafkaTopic))
      .filter((p) => missing.has(p.partition))
      .map(({ partition, high }) => ({ topic: kafkaTopic, partition, offset: high }));
    await consumer.commitOffsets(latest);
    // kafkajs may have resolved "latest" itself meanwhile; make it start where we committed.
    for (const entry of latest) consumer.seek(entry);
  };

  // A topic another process has just created may briefly answer UNKNOWN_TOPIC_OR_PARTITION.
  const retryTransient = async (work: () => Promise<void>) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (stopped || attempt >= 8 || !isRetriable(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  };

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const assigned = payload.memberAssignment[kafkaTopic] ?? [];
    if (fromBeginning || assigned.length === 0) return markJoined();
    // Listeners run synchronously inside the join, so this pause precedes the first fetch.
    consumer.pause([{ topic: kafkaTopic, partitions: assigned }]);
    void retryTransient(() => pinLatest(assigned))
      .catch((error: unknown) => logger?.warn({ err: error, topic: kafkaTopic, groupId: kafkaGroupId }, 'could not commit the start offsets of a new consumer group'))
      .finally(() => {
        const idle = assigned.filter((partition) => !backoffs.has(partition));
        if (!stopped && idle.length > 0) consumer.resume([{ topic: kafkaTopic, partitions: idle }]);
        markJoined();
      });
  });

  const stoppedError = () => new Error(`subscription of ${groupId} to ${topic} was stopped`);
  const start = async () => {
    await consumer.connect();
    if (stopped) throw stoppedError();
    await consumer.subscribe({ topics: [kafkaTopic], fromBeginning });
    if (stopped) throw stoppedError();
    running = consumer
      .run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: tuning.concurrency, eachBatch })
      .catch(failJoin);
    await withTimeout(joined, tuning.joinTimeoutMs, () => new Error(`${groupId} did not join the group of ${topic} within ${tuning.joinTimeoutMs} ms`));
  };
  const ready = start();

  const subscription: BusSubscription = {
    stop() {
      stopping ??= (async () => {
        stopped = true;
        failJoin(stoppedError());
        await ready.catch(() => {});
        // kafkajs ignores a stop while the first join is still running and would then start
        // fetching on a disconnected client; so wait for that join to settle first.
        await running;
        await consumer.disconnect().catch((error: unknown) => logger?.warn({ err: error, groupId: kafkaGroupId }, 'kafka consumer disconnect failed'));
        // After the disconnect: the batch it waited for may have failed and set a timer.
        for (const timer of backoffs.values()) clearTimeout(timer);
        backoffs.clear();
      })();
      return stopping;
    },
  };
  return { subscription, ready };
}
