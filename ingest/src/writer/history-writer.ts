import {
  deadLetterName, deadLetterOf, publishDeadLetters, type Batch, type BusSubscription, type DeadLetter, type EventBus, type IncomingMessage, type Logger,
  type TopicContract,
} from '@ump/core';
import { Counter, type Registry } from 'prom-client';

/** What one kind of history writer consumes and how it names itself; see {@link createHistoryWriter}. */
export interface HistoryKind<E> {
  /** The topic consumed; refused events go to its dead-letter topic (`deadLetterName(topic)`). */
  topic: TopicContract<E>;
  /** Why an event that passed the contract still cannot be stored, or undefined when it can. */
  unstorableReason(event: E): string | undefined;
  /** Consumer group when the options name none. */
  defaultGroupId: string;
  /**
   * What the events are, in logs and errors: 'alert' gives the log component
   * 'alert-history-writer' and the messages 'alert event dead-lettered' and
   * 'alert history writer subscribed'.
   */
  subject: string;
  /** The counters' names and help texts (the names are what dashboards and alerts query). */
  counters: Record<'written' | 'deadLettered', { name: string; help: string }>;
}

/** Options every history writer takes. */
export interface HistoryWriterOptions {
  bus: EventBus;
  /** Consumer group; each writer has its own default. Writers sharing it split the partitions. */
  groupId?: string;
  /** Where a group without committed offsets starts; default true, so no early event is missed. */
  fromBeginning?: boolean;
  logger: Logger;
  /** Registry for the writer's counters; none by default. */
  metrics?: Registry;
}

/** A history writer. */
export interface HistoryWriter {
  /** Joins the group; resolves once subscribed. Rejects when already started or the bus is closed. */
  start(): Promise<void>;
  /** Leaves the group after the batch in progress finishes (and commits). Idempotent. */
  stop(): Promise<void>;
}

type Parsed<E> = { ok: true; event: E } | { ok: false; letter: DeadLetter };

/** Validates one consumed message; never throws: a refused one becomes a dead letter with the reason. */
function parseMessage<E>(kind: HistoryKind<E>, message: IncomingMessage): Parsed<E> {
  const parsed = kind.topic.parse(message.value);
  const reason = parsed.ok ? kind.unstorableReason(parsed.value) : parsed.reason;
  if (parsed.ok && reason === undefined) return { ok: true, event: parsed.value };
  return {
    ok: false,
    letter: deadLetterOf(message, kind.topic.name, reason ?? 'unknown'),
  };
}

/** The writer's counters; unregistered (counted but never exported) without a registry. */
function createMetrics(counters: HistoryKind<unknown>['counters'], registry?: Registry) {
  // A writer restarted in the same process registers again: reuse what is there.
  const counter = ({ name, help }: { name: string; help: string }) => {
    const existing = registry?.getSingleMetric(name);
    return existing instanceof Counter ? existing : new Counter({ name, help, registers: registry ? [registry] : [] });
  };
  return { written: counter(counters.written), deadLettered: counter(counters.deadLettered) };
}

/**
 * Consumes `kind.topic` and writes every valid event to `store`. Invalid events (failing the
 * contract, or unstorable: see `kind.unstorableReason`) go to the topic's dead-letter topic
 * with the reason and the raw payload, and the writer goes on. A batch resolves — so its
 * offsets commit — only after the store acknowledged the insert; a store or bus failure
 * rejects it and the bus redelivers it. A redelivered event is harmless: a history is keyed
 * by event id, so it is at-least-once here and exactly-once in every statistic (no journal
 * needed, unlike the telemetry writer, whose points have no such key in their rollups).
 */
export function createHistoryWriter<E>(
  kind: HistoryKind<E>,
  opts: HistoryWriterOptions & { store: { insert(events: readonly E[]): Promise<void> } },
): HistoryWriter {
  const { bus, store, groupId = kind.defaultGroupId, fromBeginning = true } = opts;
  const { topic, subject } = kind;
  const log = opts.logger.child({ component: `${subject}-history-writer`, groupId });
  const metrics = createMetrics(kind.counters, opts.metrics);
  const dlqTopic = deadLetterName(topic);
  let subscription: BusSubscription | undefined;
  let starting: Promise<void> | undefined;

  const handleBatch = async (batch: Batch) => {
    const events: E[] = [];
    const refused: Array<{ message: IncomingMessage; letter: DeadLetter }> = [];
    for (const message of batch.messages) {
      const parsed = parseMessage(kind, message);
      if (parsed.ok) events.push(parsed.event);
      else refused.push({ message, letter: parsed.letter });
    }
    if (refused.length > 0) {
      // Before the insert: if it fails, the redelivery sends them again (at-least-once).
      await publishDeadLetters(bus, dlqTopic, batch, refused);
      for (const { message, letter } of refused) {
        log.warn({ partition: batch.partition, offset: message.offset, reason: letter.reason }, `${subject} event dead-lettered`);
      }
      metrics.deadLettered.inc(refused.length);
    }
    if (events.length === 0) return;
    await store.insert(events);
    metrics.written.inc(events.length);
  };

  return {
    async start() {
      if (starting) throw new Error(`${subject} history writer already started`);
      starting = (async () => {
        subscription = await bus.subscribe({ topic: topic.name, groupId, fromBeginning, handleBatch });
        log.info({ topic: topic.name }, `${subject} history writer subscribed`);
      })();
      await starting;
    },
    async stop() {
      await starting?.catch(() => undefined);
      await subscription?.stop();
    },
  };
}
