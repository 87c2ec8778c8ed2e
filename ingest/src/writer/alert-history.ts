import { alertEventsTopic, unstorableAlertEventReason, type AlertEvent, type AlertHistoryStore } from '@ump/core';
import { createHistoryWriter, type HistoryKind, type HistoryWriter, type HistoryWriterOptions } from './history-writer';

/** Options of {@link createAlertHistoryWriter}; the consumer group defaults to 'alert-history'. */
export interface AlertHistoryWriterOptions extends HistoryWriterOptions {
  /** Where the events go: the telemetry store's `alertHistory`. */
  store: AlertHistoryStore;
}

/** An alert history writer. */
export type AlertHistoryWriter = HistoryWriter;

const alertHistory: HistoryKind<AlertEvent> = {
  topic: alertEventsTopic,
  unstorableReason: unstorableAlertEventReason,
  defaultGroupId: 'alert-history',
  subject: 'alert',
  counters: {
    written: { name: 'ump_alert_history_written_total', help: 'Alert events written to the alert history (redeliveries included)' },
    deadLettered: { name: 'ump_alert_history_dead_lettered_total', help: 'Alert events refused and sent to alert.events.dlq.v1' },
  },
};

/**
 * Consumes `alert.events.v1` and writes every valid event to the alert history, for
 * `Tenant.alertStats`; invalid events go to `alert.events.dlq.v1`. Delivery, failures and
 * redeliveries: see {@link createHistoryWriter}.
 */
export function createAlertHistoryWriter(opts: AlertHistoryWriterOptions): AlertHistoryWriter {
  return createHistoryWriter(alertHistory, opts);
}
