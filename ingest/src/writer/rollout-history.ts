import {
  deadLetter, deadLetterName, rolloutEventsTopic, unstorableRolloutEventReason, type Batch, type BusSubscription, type DeadLetter,
  type EventBus, type IncomingMessage, type Logger, type RolloutEvent, type RolloutHistoryStore,
} from '@ump/core';
import { Counter, type Registry } from 'prom-client';

/** Options of {@link createRolloutHistoryWriter}. */
export interface RolloutHistoryWriterOptions {
  bus: EventBus;
  /** Where the events go: the telemetry store's `rolloutHistory`. */
  store: RolloutHistoryStore;
  /** Consumer group; default 'rollout-history'. Writers sharing it split the partitions. */
  groupId?: string;
  /** Where a group without committed offsets starts; default true, so no early event is missed. */
  fromBeginning?: boolean;
  logger: Logger;
  /** Registry for the writer's counters; none by default. */
  metrics?: Registry;
}

/** A rollout history writer. */
export interface RolloutHistoryWriter {
  /** Joins the group; resolves once subscribed. Rejects when already started or the bus is closed. */
  start(): Promise<void>;
  /** Leaves the group after the batch in progress finishes (and commits). Idempotent. */
  stop(): Promise<void>;
}

type Parsed = { ok: true; event: RolloutEvent } | { ok: false; letter: DeadLetter };

const stringField = (value: unknown, field: string): string | undefined => {
  if (typeof value !== 'object' || value === null || !(field in value)) return undefined;
  const found: unknown = Reflect.get(value, field);
  return typeof found === 'string' ? found : undefined;
};

/** Validates one consumed message; never throws: a refused one becomes a dead letter with the reason. */
function parseMessage(message: IncomingMessage): Parsed {
  const parsed = rolloutEventsTopic.parse(message.value);
  const reason = parsed.ok ? unstorableRolloutEventReason(parsed.value) : parsed.reason;
  if (parsed.ok && reason === undefined) return { ok: true, event: parsed.value };
  return {
    ok: false,
    letter: deadLetter({
      reason: reason ?? 'unknown',
      source: rolloutEventsTopic.name,
      payload: JSON.stringify(message.value) ?? 'undefined',
      tenantId: stringField(message.value, 'tenantId'),
      deviceId: stringField(message.value, 'deviceId'),
    }),
  };
}

/** The writer's counters; unregistered (counted but never exported) without a registry. */
function createMetrics(registry?: Registry) {
  // A writer restarted in the same process registers again: reuse what is there.
  const counter = (name: string, help: string) => {
    const existing = registry?.getSingleMetric(name);
    return existing instanceof Counter ? existing : new Counter({ name, help, registers: registry ? [registry] : [] });
  };
  return {
    written: counter('ump_rollout_history_written_total', 'Rollout events written to the rollout history (redeliveries included)'),
    deadLettered: counter('ump_rollout_history_dead_lettered_total', 'Rollout events refused and sent to rollout.events.dlq.v1'),
  };
}

/**
 * Consumes `rollout.events.v1` and writes every valid event to the rollout history, for
 * `Rollout.stageStats` and `Tenant.firmwareAlertRates`. Invalid events (failing the contract,
 * or unstorable: see unstorableRolloutEventReason) go to `rollout.events.dlq.v1` with the
 * reason and the raw payload, and the writer goes on. A batch resolves — so its offsets
 * commit — only after the store acknowledged the insert; a store or bus failure rejects it
 * and the bus redelivers it. A redelivered event is harmless: the history is keyed by event
 * id, so it is at-least-once here and exactly-once in every statistic.
 */
export function createRolloutHistoryWriter(opts: RolloutHistoryWriterOptions): RolloutHistoryWriter {
  const { bus, store, groupId = 'rollout-history', fromBeginning = true } = opts;
  const log = opts.logger.child({ component: 'rollout-history-writer', groupId });
  const metrics = createMetrics(opts.metrics);
  const dlqTopic = deadLetterName(rolloutEventsTopic);
  let subscription: BusSubscription | undefined;
  let starting: Promise<void> | undefined;

  const handleBatch = async (batch: Batch) => {
    const events: RolloutEvent[] = [];
    const refused: Array<{ message: IncomingMessage; letter: DeadLetter }> = [];
    for (const message of batch.messages) {
      const parsed = parseMessage(message);
      if (parsed.ok) events.push(parsed.event);
      else refused.push({ message, letter: parsed.letter });
    }
    if (refused.length > 0) {
      // Before the insert: if it fails, the redelivery sends them again (at-least-once).
      await bus.publish(dlqTopic, refused.map(({ message, letter }) => ({
        key: message.key,
        value: letter,
        headers: { 'x-ump-source-partition': String(batch.partition), 'x-ump-source-offset': message.offset },
      })));
      for (const { message, letter } of refused) {
        log.warn({ partition: batch.partition, offset: message.offset, reason: letter.reason }, 'rollout event dead-lettered');
      }
      metrics.deadLettered.inc(refused.length);
    }
    if (events.length === 0) return;
    await store.insert(events);
    metrics.written.inc(events.length);
  };

  return {
    async start() {
      if (starting) throw new Error('rollout history writer already started');
      starting = (async () => {
        subscription = await bus.subscribe({ topic: rolloutEventsTopic.name, groupId, fromBeginning, handleBatch });
        log.info({ topic: rolloutEventsTopic.name }, 'rollout history writer subscribed');
      })();
      await starting;
    },
    async stop() {
      await starting?.catch(() => undefined);
      await subscription?.stop();
    },
  };
}
