import { createHash } from 'node:crypto';
import { z } from 'zod';
import { unstorableReason, type TelemetryPoint } from './store';

const uuid = z.string().uuid();

/** Throws a TypeError unless `value` is a UUID: the tenant and device columns are UUIDs. */
export function assertUuid(name: string, value: string): void {
  if (!uuid.safeParse(value).success) throw new TypeError(`${name} must be a UUID, got '${value}'`);
}

/** ClickHouse's text form of a DateTime64(3) in UTC: what JSONEachRow parses unambiguously. */
export function chDateTime(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** The typed value columns of one key's row, as JSON members. */
function valueColumns(value: TelemetryPoint['values'][string]): string {
  if (typeof value === 'number') return `"value_num":${JSON.stringify(value)},"value_str":null,"value_bool":null`;
  if (typeof value === 'string') return `"value_num":null,"value_str":${JSON.stringify(value)},"value_bool":null`;
  return `"value_num":null,"value_str":null,"value_bool":${value ? 1 : 0}`;
}

/**
 * The JSONEachRow body of `telemetry_points` for some points: one line per (point, key).
 * Written as text, not as row objects passed to JSON.stringify: the writer encodes thousands
 * of points per batch on the thread that also serves the intake, and this is several times
 * faster. Every string goes through JSON.stringify; ids are UUIDs (checked).
 */
export function pointLines(points: readonly TelemetryPoint[], defaultRetentionDays: number): string {
  let body = '';
  for (const point of points) {
    const problem = unstorableReason(point);
    if (problem) throw new RangeError(`point ${point.messageId}: ${problem}`);
    const received = point.receivedAt ? `,"received_at":"${chDateTime(point.receivedAt)}"` : '';
    const common =
      `{"tenant_id":"${point.tenantId}","device_id":"${point.deviceId}","ts":"${chDateTime(point.ts)}",` +
      `"message_id":${JSON.stringify(point.messageId)},"retention_days":${point.retentionDays ?? defaultRetentionDays}${received},"key":`;
    for (const [key, value] of Object.entries(point.values)) body += `${common}${JSON.stringify(key)},${valueColumns(value)}}\n`;
  }
  return body;
}

/**
 * The INSERT statement of a deduplicated write. The caller's token is hashed, so any string
 * is safe to inline (settings cannot be query parameters). Without a token ClickHouse
 * deduplicates by the block's content hash, so a byte-identical retry is dropped as well.
 * async_insert is off because its queue would merge blocks of several writers and apply
 * other deduplication rules (ClickHouse 26 turns it on by default: chDB 26.7 does); the MV
 * setting makes the rollups drop a retried block exactly when the table does.
 */
export function insertSql(name: string, table: string, dedupToken?: string): string {
  const settings = ['async_insert = 0', 'insert_deduplicate = 1', 'deduplicate_blocks_in_dependent_materialized_views = 1'];
  if (dedupToken !== undefined) {
    settings.push(`insert_deduplication_token = '${createHash('sha256').update(dedupToken).digest('hex')}'`);
  }
  return `/* ${name} */ INSERT INTO ${table} SETTINGS ${settings.join(', ')} FORMAT JSONEachRow`;
}
