import { rolloutEventsTopic, unstorableRolloutEventReason, type RolloutEvent, type RolloutHistoryStore } from '@ump/core';
import { createHistoryWriter, type HistoryKind, type HistoryWriter, type HistoryWriterOptions } from './history-writer';

/** Options of {@link createRolloutHistoryWriter}; the consumer group defaults to 'rollout-history'. */
export interface RolloutHistoryWriterOptions extends HistoryWriterOptions {
  /** Where the events go: the telemetry store's `rolloutHistory`. */
  store: RolloutHistoryStore;
}

/** A rollout history writer. */
export type RolloutHistoryWriter = HistoryWriter;

const rolloutHistory: HistoryKind<RolloutEvent> = {
  topic: rolloutEventsTopic,
  unstorableReason: unstorableRolloutEventReason,
  defaultGroupId: 'rollout-history',
  subject: 'rollout',
  counters: {
    written: { name: 'ump_rollout_history_written_total', help: 'Rollout events written to the rollout history (redeliveries included)' },
    deadLettered: { name: 'ump_rollout_history_dead_lettered_total', help: 'Rollout events refused and sent to rollout.events.dlq.v1' },
  },
};

/**
 * Consumes `rollout.events.v1` and writes every valid event to the rollout history, for
 * `Rollout.stageStats` and `Tenant.firmwareAlertRates`; invalid events (failing the contract,
 * or unstorable: see unstorableRolloutEventReason) go to `rollout.events.dlq.v1`. Delivery,
 * failures and redeliveries: see {@link createHistoryWriter}.
 */
export function createRolloutHistoryWriter(opts: RolloutHistoryWriterOptions): RolloutHistoryWriter {
  return createHistoryWriter(rolloutHistory, opts);
}
