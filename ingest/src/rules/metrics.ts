import { Counter, Gauge, type Registry } from 'prom-client';

/** The rule worker's metrics; unregistered (counted but never exported) without a registry. */
export function createRuleWorkerMetrics(registry?: Registry) {
  const registers = registry ? [registry] : [];
  // A worker restarted in the same process registers again: reuse what is there.
  const reuse = <T>(name: string, kind: abstract new (...args: never[]) => T, make: () => T): T => {
    const existing = registry?.getSingleMetric(name);
    return existing instanceof kind ? existing : make();
  };
  const counter = (name: string, help: string) => reuse(name, Counter, () => new Counter({ name, help, registers }));
  return {
    consumed: counter('ump_rules_messages_total', 'Telemetry messages the rule worker consumed (evaluated, or skipped: no rules for the tenant, malformed)'),
    malformed: counter('ump_rules_malformed_total', 'Telemetry messages the rule worker skipped as malformed (the writer dead-letters them)'),
    duplicates: counter('ump_rules_duplicate_points_total', 'Points ignored for a rule because they were not newer than the last one evaluated'),
    invalidRules: counter('ump_rules_invalid_rules_total', 'Stored rules skipped because their target or spec failed validation'),
    signals: reuse('ump_rules_signals_total', Counter, () =>
      new Counter({ name: 'ump_rules_signals_total', help: 'Signals published on alert.signals.v1, by type', labelNames: ['type'] as const, registers }),
    ) as Counter<'type'>,
    rules: reuse('ump_rules_loaded', Gauge, () => new Gauge({ name: 'ump_rules_loaded', help: 'Enabled rules the worker applies', registers })),
    tracked: reuse('ump_rules_tracked_pairs', Gauge, () =>
      new Gauge({ name: 'ump_rules_tracked_pairs', help: '(rule, device) pairs this worker ticks for silence and escalation', registers }),
    ),
  };
}
export type RuleWorkerMetrics = ReturnType<typeof createRuleWorkerMetrics>;
