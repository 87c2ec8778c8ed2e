import {
  deadLetterName, publishDeadLetters, telemetryTopic, type Batch, type BusSubscription, type DeadLetter, type EventBus, type IncomingMessage,
  type Logger, type TelemetryPoint, type TelemetryStore,
} from '@ump/core';
import type { Registry } from 'prom-client';
import { convertMessage } from './convert';
import { createWriterMetrics } from './metrics';
import { batchToken, consumerKey, entryToken, planBatch, type JournalEntry, type WriteJournal } from './plan';

/** Options of {@link createTelemetryWriter}. */
export interface TelemetryWriterOptions {
  bus: EventBus;
  /** Must offer a journal (TelemetryStore.journal), as the ClickHouse store does, unless the bus is in-process. */
  store: TelemetryStore;
  /** Consumer group; default 'telemetry-writer'. Writers sharing it split the partitions. */
  groupId?: string;
  /**
   * Where a group without committed offsets starts; default true (the oldest retained
   * message), so telemetry published before the writer's first start is not lost.
   */
  fromBeginning?: boolean;
  /**
   * How long a short batch waits for more points: every insert costs the same whatever its
   * size (the journal, the points and four materialized views), and ClickHouse advises few
   * big inserts. Default { minMessages: 1000, maxWaitMs: 500 }: points are readable about
   * half a second later at low rates, and a busy fleet is written a thousand points at a time.
   */
  linger?: { minMessages: number; maxWaitMs: number };
  logger: Logger;
  /** Registry for the writer's counters and batch histogram; none by default. */
  metrics?: Registry;
}

/** A telemetry writer. */
export interface TelemetryWriter {
  /** Joins the group; resolves once subscribed. Rejects when already started or the bus is closed. */
  start(): Promise<void>;
  /** Leaves the group after the batch in progress finishes (and commits). Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_LINGER = { minMessages: 1_000, maxWaitMs: 500 };

type Refused = { message: IncomingMessage; letter: DeadLetter };

/**
 * Consumes `telemetry.v1` and writes every valid message to the telemetry store exactly
 * once, even across crashes and redeliveries with other batch boundaries (see plan.ts).
 * Invalid messages go to `telemetry.dlq.v1` with the reason and the raw payload, and the
 * writer goes on. A batch resolves — so its offsets commit — only after the store has
 * acknowledged its inserts; a store or bus failure rejects it, and the bus redelivers it.
 * On an in-process bus the journal is neither needed nor safe (see plan.ts): each batch is
 * inserted under a token of its message ids. Throws a TypeError at creation when the bus is
 * not in-process and the store has no journal.
 */
export function createTelemetryWriter(opts: TelemetryWriterOptions): TelemetryWriter {
  const { bus, store, groupId = 'telemetry-writer', fromBeginning = true, linger = DEFAULT_LINGER } = opts;
  const journal: WriteJournal | undefined = bus.inProcess ? undefined : store.journal;
  if (!journal && !bus.inProcess) throw new TypeError('the telemetry writer needs a store with a journal (TelemetryStore.journal) to write exactly once');
  const log = opts.logger.child({ component: 'telemetry-writer', groupId });
  const metrics = createWriterMetrics(opts.metrics);
  const dlqTopic = deadLetterName(telemetryTopic);
  let subscription: BusSubscription | undefined;
  let starting: Promise<void> | undefined;

  const deadLetterAll = async (batch: Batch, refused: Refused[]) => {
    if (refused.length === 0) return;
    await publishDeadLetters(bus, dlqTopic, batch, refused);
    for (const { message, letter } of refused) {
      log.warn({ partition: batch.partition, offset: message.offset, reason: letter.reason }, 'telemetry message dead-lettered');
    }
    metrics.deadLettered.inc(refused.length);
  };

  /** Inserts an entry's points under its token, then marks it done so it is never replayed. */
  const insertAndAck = async (journal: WriteJournal, consumer: string, entry: Omit<JournalEntry, 'acked'>) => {
    await store.insert(entry.points, { dedupToken: entry.token });
    await journal.ack(consumer, entry);
  };

  /** Validates the messages and dead-letters the invalid ones; returns the points of the rest. */
  const convertAll = async (batch: Batch, messages: IncomingMessage[]) => {
    const points: TelemetryPoint[] = [];
    const refused: Refused[] = [];
    for (const message of messages) {
      const converted = convertMessage(message);
      if (converted.ok) points.push(converted.point);
      else refused.push({ message, letter: converted.letter });
    }
    await deadLetterAll(batch, refused);
    return points;
  };

  /** Validates, dead-letters, journals and inserts the messages no journal entry covers. */
  const writeFresh = async (journal: WriteJournal, batch: Batch, consumer: string, fresh: IncomingMessage[]) => {
    const [first, last] = [fresh[0], fresh.at(-1)];
    if (!first || !last) return;
    // Dead letters before the record: a range in the journal has had its dead letters sent.
    const points = await convertAll(batch, fresh);
    const [firstOffset, lastOffset] = [BigInt(first.offset), BigInt(last.offset)];
    const entry = { firstOffset, lastOffset, token: entryToken(consumer, firstOffset, lastOffset), points };
    await journal.record(consumer, entry);
    await insertAndAck(journal, consumer, entry);
    metrics.written.inc(points.length);
  };

  /** In-process: a retry is the same messages, so their ids make a stable token. */
  const writeInProcess = async (batch: Batch, consumer: string) => {
    const points = await convertAll(batch, batch.messages);
    if (points.length === 0) return;
    await store.insert(points, { dedupToken: batchToken(consumer, points) });
    metrics.written.inc(points.length);
  };

  const handleBatch = async (batch: Batch) => {
    const [first, last] = [batch.messages[0], batch.messages.at(-1)];
    if (!first || !last) return;
    const endTimer = metrics.batchDuration.startTimer();
    try {
      const consumer = consumerKey(groupId, batch.topic, batch.partition);
      if (!journal) return await writeInProcess(batch, consumer);
      const plan = planBatch(batch.messages, await journal.overlapping(consumer, BigInt(first.offset), BigInt(last.offset)));
      for (const entry of plan.replay) {
        await insertAndAck(journal, consumer, entry);
        metrics.replayed.inc();
        log.info({ partition: batch.partition, firstOffset: String(entry.firstOffset), lastOffset: String(entry.lastOffset) }, 'replayed an unacknowledged journal entry');
      }
      await writeFresh(journal, batch, consumer, plan.fresh);
    } finally {
      endTimer();
    }
  };

  return {
    async start() {
      if (starting) throw new Error('telemetry writer already started');
      starting = (async () => {
        subscription = await bus.subscribe({ topic: telemetryTopic.name, groupId, fromBeginning, handleBatch, linger });
        log.info({ topic: telemetryTopic.name }, 'telemetry writer subscribed');
      })();
      await starting;
    },
    async stop() {
      await starting?.catch(() => undefined);
      await subscription?.stop();
    },
  };
}
