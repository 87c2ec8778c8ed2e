import { z } from 'zod';
import { int64 } from './clickhouse-client';
import type { TelemetryTables } from './clickhouse-schema';
import type { Aggregation } from './store';

/** Where a series is read from. */
export type SeriesSource = 'raw' | 'rollup_1m' | 'rollup_1h';

export const MIN_BUCKET_SECONDS = 1;
export const MAX_BUCKET_SECONDS = 86_400;

/**
 * The cheapest source that answers a bucket exactly: the 1-hour rollup for multiples of an
 * hour, the 1-minute rollup for multiples of a minute, else the raw points. Buckets are
 * aligned to the epoch (as toStartOfInterval aligns second intervals), so every rollup
 * bucket lies wholly inside one requested bucket.
 */
export function seriesSource(bucketSeconds: number): SeriesSource {
  if (bucketSeconds % 3600 === 0) return 'rollup_1h';
  if (bucketSeconds % 60 === 0) return 'rollup_1m';
  return 'raw';
}

/**
 * Widens [from, to) to whole buckets: series answers every bucket that overlaps the range
 * completely, which is what lets a rollup give exactly the raw answer. Throws a RangeError
 * for a bucket outside 1 s..1 d or an empty range.
 */
export function alignRange(from: Date, to: Date, bucketSeconds: number): { fromMs: number; toMs: number } {
  if (!Number.isInteger(bucketSeconds) || bucketSeconds < MIN_BUCKET_SECONDS || bucketSeconds > MAX_BUCKET_SECONDS) {
    throw new RangeError(`bucketSeconds must be an integer in ${MIN_BUCKET_SECONDS}..${MAX_BUCKET_SECONDS}, got ${bucketSeconds}`);
  }
  if (!(from.getTime() < to.getTime())) throw new RangeError('from must be before to');
  const size = bucketSeconds * 1000;
  return { fromMs: Math.floor(from.getTime() / size) * size, toMs: Math.ceil(to.getTime() / size) * size };
}

/** The value expression of each aggregation over raw points. */
const rawValue: Record<Aggregation, string> = {
  AVG: 'avg(value_num)',
  MIN: 'min(value_num)',
  MAX: 'max(value_num)',
  SUM: 'sum(value_num)',
  COUNT: 'toFloat64(count())',
  LAST: 'argMax(value_num, ts)',
  P95: 'quantile(0.95)(value_num)',
};

/** The same over rollup rows (partially merged states, so always aggregate again). */
const rollupValue: Record<Aggregation, string> = {
  AVG: 'if(sum(count_num) = 0, NULL, sum(sum_value) / sum(count_num))',
  MIN: 'min(min_value)',
  MAX: 'max(max_value)',
  SUM: 'sum(sum_value)',
  COUNT: 'toFloat64(sum(count_all))',
  LAST: 'argMaxMerge(last_state)',
  P95: 'quantileMerge(0.95)(p95_state)',
};

const seriesFilter = `tenant_id = {tenantId:UUID} AND device_id = {deviceId:UUID} AND key = {key:String}`;
const since = `fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')`;
const until = `fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')`;

/** The series statement for a source and aggregation; parameters: tenantId, deviceId, key, fromMs, toMs, bucket. */
export function seriesSql(t: TelemetryTables, source: SeriesSource, agg: Aggregation): string {
  const bucketOf = (column: string) => `toUnixTimestamp(toStartOfInterval(${column}, INTERVAL {bucket:UInt32} SECOND))`;
  if (source === 'raw') {
    return `/* telemetry.series.raw */
SELECT ${bucketOf("toDateTime(ts, 'UTC')")} AS bucket_s, ${rawValue[agg]} AS value
FROM ${t.points}
WHERE ${seriesFilter} AND ts >= ${since} AND ts < ${until}
GROUP BY bucket_s ORDER BY bucket_s`;
  }
  const table = source === 'rollup_1h' ? t.rollup1h : t.rollup1m;
  return `/* telemetry.series.${source} */
SELECT ${bucketOf('bucket')} AS bucket_s, ${rollupValue[agg]} AS value
FROM ${table}
WHERE ${seriesFilter} AND bucket >= ${since} AND bucket < ${until}
GROUP BY bucket_s ORDER BY bucket_s`;
}

export const seriesRow = z.object({ bucket_s: int64, value: z.number().nullable() });

/** Parameters: tenantId, deviceId. */
export function latestSql(t: TelemetryTables): string {
  return `/* telemetry.latest */
SELECT key, argMaxMerge(last_value) AS v, toUnixTimestamp64Milli(max(last_ts)) AS ts_ms
FROM ${t.latest}
WHERE tenant_id = {tenantId:UUID} AND device_id = {deviceId:UUID}
GROUP BY key ORDER BY key`;
}

/** The latest values of several devices (device ids are unique across tenants); seeds the latest cache. */
export function latestOfDevicesSql(t: TelemetryTables): string {
  return `/* telemetry.latest_of_devices */
SELECT tenant_id, device_id, key, argMaxMerge(last_value) AS v,
  toUnixTimestamp64Milli(max(last_ts)) AS ts_ms, max(retention_days) AS retention_days
FROM ${t.latest}
WHERE device_id IN {deviceIds:Array(UUID)}
GROUP BY tenant_id, device_id, key`;
}

export const latestRow = z.object({
  key: z.string(),
  v: z.tuple([z.number().nullable(), z.string().nullable(), z.number().int().nullable()]),
  ts_ms: int64,
});

export const latestOfDevicesRow = latestRow.extend({ tenant_id: z.string(), device_id: z.string(), retention_days: z.number().int() });

/**
 * The hour-aligned split of a stats range: whole hours come from telemetry_device_hours,
 * the ragged edges from raw points. Empty ranges have from === to.
 */
export function statsRanges(from: Date, to: Date) {
  const hour = 3_600_000;
  const [f, e] = [from.getTime(), to.getTime()];
  const hoursFrom = Math.ceil(f / hour) * hour;
  const hoursTo = Math.floor(e / hour) * hour;
  if (hoursFrom >= hoursTo) return { hoursFromMs: 0, hoursToMs: 0, headFromMs: f, headToMs: Math.max(f, e), tailFromMs: 0, tailToMs: 0 };
  return { hoursFromMs: hoursFrom, hoursToMs: hoursTo, headFromMs: f, headToMs: hoursFrom, tailFromMs: hoursTo, tailToMs: e };
}

const ms = (name: string) => `fromUnixTimestamp64Milli({${name}:Int64}, 'UTC')`;

/** Parameters: tenantId and the six bounds of {@link statsRanges}. */
export function statsSql(t: TelemetryTables): string {
  return `/* telemetry.stats */
SELECT toString(sum(msg)) AS messages, toString(sum(pts)) AS data_points, toString(uniqExact(device_id)) AS devices
FROM (
  SELECT device_id, sum(messages) AS msg, sum(data_points) AS pts
  FROM ${t.deviceHours}
  WHERE tenant_id = {tenantId:UUID} AND hour >= ${ms('hoursFromMs')} AND hour < ${ms('hoursToMs')}
  GROUP BY device_id
  UNION ALL
  SELECT device_id, uniqExact(message_id) AS msg, count() AS pts
  FROM ${t.points}
  WHERE tenant_id = {tenantId:UUID}
    AND ((ts >= ${ms('headFromMs')} AND ts < ${ms('headToMs')}) OR (ts >= ${ms('tailFromMs')} AND ts < ${ms('tailToMs')}))
  GROUP BY device_id
)`;
}

export const statsRow = z.object({ messages: int64, data_points: int64, devices: int64 });
