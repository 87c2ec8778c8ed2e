/**
 * The alert history table, created by the telemetry store's `migrate()` next to the
 * telemetry tables (same database, same rules: idempotent, never re-created).
 *
 * Why a ReplacingMergeTree keyed by event id rather than insert deduplication tokens:
 * a token only drops a retry of the very same block, and Kafka may redeliver an event in a
 * batch with other boundaries (the telemetry writer needs a write-ahead journal for exactly
 * that). Here every event carries its own id, so the id is the key: a redelivered event
 * collapses into the stored one when parts merge, and until they do the stats queries are
 * written so duplicates cannot change them (distinct event ids, first and last times), which
 * avoids the cost of FINAL. `at` and the alert lead the sort key after the tenant because
 * every read is one tenant's time range; the event id only completes the key.
 */
export function alertHistoryStatements(table: string): Array<{ name: string; sql: string }> {
  return [
    {
      name: 'alert_events',
      sql: `/* telemetry.migrate.alert_events */
CREATE TABLE IF NOT EXISTS ${table} (
  event_id String,
  type LowCardinality(String),
  tenant_id UUID,
  alert_id UUID,
  rule_id UUID,
  device_id UUID,
  severity LowCardinality(String),
  status LowCardinality(String),
  raised_at DateTime64(3, 'UTC'),
  at DateTime64(3, 'UTC'),
  actor_id Nullable(String)
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (tenant_id, at, alert_id, event_id)`,
    },
  ];
}
