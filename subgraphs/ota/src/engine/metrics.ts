import { Counter, type Registry } from 'prom-client';

/** The engine's counters; unregistered (counted, never exported) without a registry. */
export function createEngineMetrics(registry?: Registry) {
  const registers = registry ? [registry] : [];
  // An engine restarted in the same process registers again: reuse what is there.
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) => {
    const existing = registry?.getSingleMetric(name);
    return existing instanceof Counter ? (existing as Counter<L>) : new Counter<L>({ name, help, labelNames, registers });
  };
  return {
    reportsApplied: counter('ump_ota_reports_applied_total', 'Device OTA status reports that changed an assignment or a current firmware, by status', ['status']),
    reportsIgnored: counter('ump_ota_reports_ignored_total', 'Valid OTA status reports that changed nothing, by reason (stale: duplicate or out of order)', ['reason']),
    deadLettered: counter('ump_ota_reports_dead_lettered_total', 'OTA status reports refused and sent to ota.status.dlq.v1', []),
    assignments: counter('ump_ota_assignments_total', 'Update commands issued by the rollout engine, by kind (assign, retry, rollback)', ['kind']),
    gateResults: counter('ump_ota_gate_results_total', 'Rollout gate verdicts recorded, by gate and outcome', ['gate', 'passed']),
    publishFailed: counter('ump_ota_publish_failed_total', 'Commands or rollout events that could not be published after a commit', []),
  };
}
export type EngineMetrics = ReturnType<typeof createEngineMetrics>;
