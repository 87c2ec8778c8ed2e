import { alertHistoryStatements } from './alert-history-schema';

/**
 * The telemetry schema in ClickHouse: one raw table, rollups fed by materialized views, and
 * the writer's journal. Every statement is idempotent (IF NOT EXISTS), so `migrate()` runs it
 * all on every start. Changing a table later needs an ALTER statement added here, not an edit
 * of its CREATE (existing tables are never re-created).
 */

/**
 * How many recent insert blocks each table remembers for insert deduplication (ClickHouse's
 * own default for replicated tables). A retried insert is dropped only while its token is in
 * this window. The telemetry writer acknowledges every insert in its journal right after it,
 * so only an insert whose writer died in between relies on it: that writer must replay
 * within 10 000 later inserts into the table (about 3 hours at 1 insert per second).
 * MergeTree tables without replication keep no window by default, and the rollup targets
 * need one too, or a retried insert is dropped from the raw table but counted again in the
 * rollups.
 */
export const DEDUP_WINDOW = 10_000;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The fully qualified table names of one database. Throws a TypeError for an unsafe database name. */
export function telemetryTables(database: string) {
  // Identifiers cannot be query parameters in DDL on every server version, so the name is
  // validated and interpolated instead.
  if (!IDENTIFIER.test(database)) throw new TypeError(`invalid ClickHouse database name '${database}'`);
  return {
    database,
    points: `${database}.telemetry_points`,
    rollup1m: `${database}.telemetry_rollup_1m`,
    rollup1h: `${database}.telemetry_rollup_1h`,
    deviceHours: `${database}.telemetry_device_hours`,
    latest: `${database}.telemetry_latest`,
    journal: `${database}.telemetry_write_journal`,
    alertEvents: `${database}.alert_events`,
  };
}
export type TelemetryTables = ReturnType<typeof telemetryTables>;

const dedup = `SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW}`;

/** One rollup granularity: the table and the function that floors a timestamp to its bucket. */
function rollup(table: string, points: string, floor: 'toStartOfMinute' | 'toStartOfHour') {
  const name = table.slice(table.indexOf('.') + 1);
  return [
    {
      name,
      // min/max/sum/count merge as plain values; avg is sum / count_num at read time, so it
      // needs no state of its own. LAST and P95 need real states. Nullable value_num makes
      // every numeric aggregate skip string and boolean rows while count_all counts them.
      sql: `/* telemetry.migrate.${name} */
CREATE TABLE IF NOT EXISTS ${table} (
  tenant_id UUID,
  device_id UUID,
  key LowCardinality(String),
  bucket DateTime('UTC'),
  retention_days SimpleAggregateFunction(max, UInt16),
  count_all SimpleAggregateFunction(sum, UInt64),
  count_num SimpleAggregateFunction(sum, UInt64),
  sum_value SimpleAggregateFunction(sum, Nullable(Float64)),
  min_value SimpleAggregateFunction(min, Nullable(Float64)),
  max_value SimpleAggregateFunction(max, Nullable(Float64)),
  last_state AggregateFunction(argMax, Nullable(Float64), DateTime64(3, 'UTC')),
  p95_state AggregateFunction(quantile(0.95), Nullable(Float64))
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (tenant_id, device_id, key, bucket)
TTL bucket + toIntervalDay(retention_days)
${dedup}`,
    },
    {
      name: `${name}_mv`,
      sql: `/* telemetry.migrate.${name}_mv */
CREATE MATERIALIZED VIEW IF NOT EXISTS ${table}_mv TO ${table} AS
SELECT tenant_id, device_id, key, ${floor}(toDateTime(ts, 'UTC')) AS bucket,
  max(retention_days) AS retention_days,
  count() AS count_all, count(value_num) AS count_num,
  sum(value_num) AS sum_value, min(value_num) AS min_value, max(value_num) AS max_value,
  argMaxState(value_num, ts) AS last_state, quantileState(0.95)(value_num) AS p95_state
FROM ${points}
GROUP BY tenant_id, device_id, key, bucket`,
    },
  ];
}

/** The DDL of every table and view, in dependency order. */
export function schemaStatements(t: TelemetryTables): Array<{ name: string; sql: string }> {
  return [
    { name: 'database', sql: `/* telemetry.migrate.database */ CREATE DATABASE IF NOT EXISTS ${t.database}` },
    {
      name: 'telemetry_points',
      // One row per (message, key). The sort key serves per-device time-range reads; the TTL
      // carries each tenant's plan retention on the row, so one table serves every plan.
      sql: `/* telemetry.migrate.telemetry_points */
CREATE TABLE IF NOT EXISTS ${t.points} (
  tenant_id UUID,
  device_id UUID,
  key LowCardinality(String),
  ts DateTime64(3, 'UTC'),
  value_num Nullable(Float64),
  value_str Nullable(String),
  value_bool Nullable(UInt8),
  message_id String,
  received_at DateTime64(3, 'UTC') DEFAULT now64(3),
  retention_days UInt16
) ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant_id, device_id, key, ts)
TTL toDateTime(ts) + toIntervalDay(retention_days)
${dedup}`,
    },
    ...rollup(t.rollup1m, t.points, 'toStartOfMinute'),
    ...rollup(t.rollup1h, t.points, 'toStartOfHour'),
    {
      name: 'telemetry_device_hours',
      // Makes `stats` read one row per active device and hour instead of every point.
      // `messages` sums per-block distinct counts: exact because a message's rows always
      // arrive in one insert block and every block is applied once (deduplicated).
      sql: `/* telemetry.migrate.telemetry_device_hours */
CREATE TABLE IF NOT EXISTS ${t.deviceHours} (
  tenant_id UUID,
  hour DateTime('UTC'),
  device_id UUID,
  retention_days SimpleAggregateFunction(max, UInt16),
  messages SimpleAggregateFunction(sum, UInt64),
  data_points SimpleAggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant_id, hour, device_id)
TTL hour + toIntervalDay(retention_days)
${dedup}`,
    },
    {
      name: 'telemetry_device_hours_mv',
      sql: `/* telemetry.migrate.telemetry_device_hours_mv */
CREATE MATERIALIZED VIEW IF NOT EXISTS ${t.deviceHours}_mv TO ${t.deviceHours} AS
SELECT tenant_id, toStartOfHour(toDateTime(ts, 'UTC')) AS hour, device_id,
  max(retention_days) AS retention_days, uniqExact(message_id) AS messages, count() AS data_points
FROM ${t.points}
GROUP BY tenant_id, hour, device_id`,
    },
    {
      name: 'telemetry_latest',
      // The last value of every key, whatever its type, so `latest` reads one row per key
      // instead of a device's whole history. A tuple keeps the type: argMax skips NULL values.
      sql: `/* telemetry.migrate.telemetry_latest */
CREATE TABLE IF NOT EXISTS ${t.latest} (
  tenant_id UUID,
  device_id UUID,
  key LowCardinality(String),
  last_ts SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
  retention_days SimpleAggregateFunction(max, UInt16),
  last_value AggregateFunction(argMax, Tuple(Nullable(Float64), Nullable(String), Nullable(UInt8)), DateTime64(3, 'UTC'))
) ENGINE = AggregatingMergeTree
ORDER BY (tenant_id, device_id, key)
TTL toDateTime(last_ts) + toIntervalDay(retention_days)
${dedup}`,
    },
    {
      name: 'telemetry_latest_mv',
      sql: `/* telemetry.migrate.telemetry_latest_mv */
CREATE MATERIALIZED VIEW IF NOT EXISTS ${t.latest}_mv TO ${t.latest} AS
SELECT tenant_id, device_id, key, max(ts) AS last_ts, max(retention_days) AS retention_days,
  argMaxState(tuple(value_num, value_str, value_bool), ts) AS last_value
FROM ${t.points}
GROUP BY tenant_id, device_id, key`,
    },
    {
      name: 'telemetry_write_journal',
      // The telemetry writer's intents and acknowledgements (see ingest/src/writer). Rows
      // only matter until the bus has committed past them; 30 days outlasts any retention
      // a telemetry topic is given. Sorted by last_offset because every read asks for the
      // entries ending at or after a batch's first offset: the few not yet committed.
      sql: `/* telemetry.migrate.telemetry_write_journal */
CREATE TABLE IF NOT EXISTS ${t.journal} (
  consumer String,
  first_offset UInt64,
  last_offset UInt64,
  token String,
  acked UInt8,
  points String CODEC(ZSTD(3)),
  recorded_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = MergeTree
ORDER BY (consumer, last_offset, first_offset)
TTL toDateTime(recorded_at) + INTERVAL 30 DAY
${dedup}`,
    },
    ...alertHistoryStatements(t.alertEvents),
  ];
}
