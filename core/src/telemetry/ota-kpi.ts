import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import type { KpiWindow, MetricSummary, OtaKpiSource } from '../ota/kpi';
import { int64, selectRows } from './clickhouse-client';
import { assertUuid } from './clickhouse-insert';
import type { TelemetryTables } from './clickhouse-schema';

// Every statement takes tenantId, deviceIds, fromMs (one per device, same order) and toMs:
// a row counts when it lies in its own device's window [from, to). The scan starts at the
// earliest window so partitions before it are skipped.
const fromOfDevice = `fromUnixTimestamp64Milli({fromMs:Array(Int64)}[indexOf({deviceIds:Array(UUID)}, device_id)], 'UTC')`;
const earliest = `fromUnixTimestamp64Milli(arrayMin({fromMs:Array(Int64)}), 'UTC')`;
const until = `fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')`;

/** Raises per device; a redelivered event (not yet merged away) counts once by its id. */
export function alertRaisesSql(table: string): string {
  return `/* ota_kpi.alert_raises */
SELECT toString(device_id) AS device, uniqExact(event_id) AS raises
FROM ${table}
WHERE tenant_id = {tenantId:UUID} AND type = 'raised'
  AND device_id IN {deviceIds:Array(UUID)}
  AND at >= ${earliest} AND at < ${until}
  AND at >= ${fromOfDevice}
GROUP BY device`;
}

export const alertRaisesRow = z.object({ device: z.string().uuid(), raises: int64 });

/** Mean and p95 of the numeric values of one key over the devices' windows. */
export function metricSql(table: string): string {
  return `/* ota_kpi.metric */
SELECT count() AS count, avgOrNull(value_num) AS mean, quantileOrNull(0.95)(value_num) AS p95
FROM ${table}
WHERE tenant_id = {tenantId:UUID} AND key = {key:String}
  AND device_id IN {deviceIds:Array(UUID)}
  AND ts >= ${earliest} AND ts < ${until}
  AND ts >= ${fromOfDevice}
  AND value_num IS NOT NULL`;
}

export const metricRow = z.object({ count: int64, mean: z.number().nullable(), p95: z.number().nullable() });

/** Query parameters of a window set: ids lower-cased as ClickHouse prints UUIDs; one window per device (the earliest). */
function windowParams(tenantId: string, windows: readonly KpiWindow[], to: number) {
  assertUuid('tenantId', tenantId);
  const from = new Map<string, number>();
  for (const { deviceId, from: ms } of windows) {
    assertUuid('deviceId', deviceId);
    if (!Number.isFinite(ms)) throw new RangeError(`window of ${deviceId}: from must be epoch ms`);
    const id = deviceId.toLowerCase();
    from.set(id, Math.min(from.get(id) ?? ms, Math.floor(ms)));
  }
  return { tenantId, deviceIds: [...from.keys()], fromMs: [...from.values()], toMs: Math.floor(to) };
}

/**
 * The {@link OtaKpiSource} on the telemetry store's ClickHouse client and database (chDB
 * binds one data directory per process, so it never opens a client of its own). Only the
 * rows of `tenantId` are read; each device counts from its own window's `from` until `to`
 * (a device given twice counts from its earliest). No windows: no query, zero answers.
 * Throws a TypeError for a tenant or device id that is not a UUID; ClickHouse errors are
 * thrown as they come.
 */
export function createClickHouseOtaKpi(client: ClickHouseClient, tables: Pick<TelemetryTables, 'points' | 'alertEvents'>): OtaKpiSource {
  return {
    async alertRaises({ tenantId, windows, to }) {
      const params = windowParams(tenantId, windows, to);
      const raises = new Map(params.deviceIds.map((id) => [id, 0]));
      if (params.deviceIds.length === 0) return raises;
      const rows = await selectRows(client, alertRaisesSql(tables.alertEvents), params, alertRaisesRow);
      for (const row of rows) raises.set(row.device, row.raises);
      // Answer under the caller's spelling of each id.
      return new Map(windows.map((w) => [w.deviceId, raises.get(w.deviceId.toLowerCase()) ?? 0]));
    },

    async metric({ tenantId, windows, key, to }): Promise<MetricSummary> {
      const params = windowParams(tenantId, windows, to);
      if (params.deviceIds.length === 0) return { count: 0, mean: null, p95: null };
      const [row] = await selectRows(client, metricSql(tables.points), { ...params, key }, metricRow);
      return { count: row?.count ?? 0, mean: row?.mean ?? null, p95: row?.p95 ?? null };
    },
  };
}
