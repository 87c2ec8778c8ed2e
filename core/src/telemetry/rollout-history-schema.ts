import type { TelemetryTables } from './clickhouse-schema';

/** The fully qualified `rollout_events` table of the telemetry store's database. */
export const rolloutEventsTable = (tables: TelemetryTables) => `${tables.database}.rollout_events`;

/**
 * The rollout history table, created by the telemetry store's `migrate()` after the
 * telemetry tables (same database, same rules: idempotent, never re-created; a later
 * change is an ALTER added here).
 *
 * A ReplacingMergeTree keyed by event id, like `alert_events` (see alert-history-schema.ts):
 * a redelivered event collapses into the stored one when parts merge, and until then every
 * query is written so a duplicate cannot change its answer (distinct devices and event ids,
 * latest statuses), without the cost of FINAL. Reads are one tenant's rollout (stage stats)
 * or one tenant's device updates (alert rates per firmware), so the tenant and the rollout
 * lead the sort key; `at` and the event id complete it, and a redelivery carries the same
 * values in all of them.
 */
export function rolloutHistoryStatements(tables: TelemetryTables): Array<{ name: string; sql: string }> {
  return [
    {
      name: 'rollout_events',
      sql: `/* telemetry.migrate.rollout_events */
CREATE TABLE IF NOT EXISTS ${rolloutEventsTable(tables)} (
  event_id String,
  type LowCardinality(String),
  tenant_id UUID,
  rollout_id UUID,
  state LowCardinality(String),
  stage_index UInt16,
  device_id Nullable(UUID),
  firmware_id Nullable(UUID),
  firmware_version Nullable(String),
  device_status LowCardinality(Nullable(String)),
  gate Nullable(String),
  passed Nullable(Bool),
  at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (tenant_id, rollout_id, at, event_id)`,
    },
  ];
}
