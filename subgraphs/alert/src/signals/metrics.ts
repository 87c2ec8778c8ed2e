import { Counter, type Registry } from 'prom-client';

/** The signal consumer's counters; unregistered (counted, never exported) without a registry. */
export function createSignalMetrics(registry?: Registry) {
  const registers = registry ? [registry] : [];
  // A consumer restarted in the same process registers again: reuse what is there.
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) => {
    const existing = registry?.getSingleMetric(name);
    return existing instanceof Counter ? (existing as Counter<L>) : new Counter<L>({ name, help, labelNames, registers });
  };
  return {
    applied: counter('ump_alert_signals_applied_total', 'Alert signals that changed an alert, by signal type', ['type']),
    ignored: counter('ump_alert_signals_ignored_total', 'Valid alert signals that changed nothing, by reason (stale: duplicate or out of order)', ['reason']),
    deadLettered: counter('ump_alert_signals_dead_lettered_total', 'Alert signals refused and sent to alert.signals.dlq.v1', []),
    publishFailed: counter('ump_alert_events_publish_failed_total', 'alert.events.v1 messages that could not be published after a commit', []),
    updateWindowFailed: counter('ump_alert_update_window_check_failed_total', 'OTA update-window reads that failed (the silence alert was not held)', []),
  };
}
export type SignalMetrics = ReturnType<typeof createSignalMetrics>;
