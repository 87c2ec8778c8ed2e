import type { z } from 'zod';
import type { Cache } from '../ports/cache';
import type { AlertHistoryStore } from './alert-history';
import { createClickHouseAlertHistory } from './alert-history-clickhouse';
import { openClickHouse, insertJsonLines, selectRows, type ClickHouseConnectionOptions } from './clickhouse-client';
import { assertUuid, insertSql, pointLines } from './clickhouse-insert';
import { createClickHouseJournal } from './clickhouse-journal';
import {
  alignRange, latestOfDevicesRow, latestOfDevicesSql, latestRow, latestSql, seriesRow, seriesSource, seriesSql, statsRanges, statsRow, statsSql,
  type SeriesSource,
} from './clickhouse-queries';
import { schemaStatements, telemetryTables } from './clickhouse-schema';
import { createLatestCache, deviceRef, type SeededLatest } from './latest-cache';
import { createClickHouseOtaKpi } from './ota-kpi';
import type { RolloutHistoryStore } from './rollout-history';
import { createClickHouseRolloutHistory, rolloutHistoryStatements } from './rollout-history-clickhouse';
import type { OtaKpiSource } from '../ota/kpi';
import { MAX_RETENTION_DAYS, type LatestValue, type SeriesQuery, type TelemetryStore } from './store';
import type { WriteJournal } from './write-journal';

/** Options of {@link createClickHouseStore}. */
export interface ClickHouseStoreOptions extends ClickHouseConnectionOptions {
  /** Database of every table; default 'ump'. Letters, digits and '_' only. */
  database?: string;
  /** Retention of points that carry none; default 365 days. */
  defaultRetentionDays?: number;
  /**
   * Where `latest` is served from without a query (see latest-cache.ts); every process that
   * inserts or reads latest values must be given the same cache. Without one, ClickHouse.
   */
  latestCache?: Cache;
}

/** The ClickHouse {@link TelemetryStore}, with its journal and a diagnostic read. */
export interface ClickHouseTelemetryStore extends TelemetryStore {
  readonly journal: WriteJournal;
  /** Alert events for analytics, in the same database and on the same client (see alert-history.ts). */
  readonly alertHistory: AlertHistoryStore;
  /** KPI reads of the OTA rollout engine (alert raises, telemetry metrics), on the same client. */
  readonly otaKpi: OtaKpiSource;
  /** Rollout events for analytics, in the same database and on the same client (see rollout-history.ts). */
  readonly rolloutHistory: RolloutHistoryStore;
  /** Where the data lives, for start-up banners and logs, e.g. `ClickHouse at http://ch:8123`. */
  readonly location: string;
  /** `series` read from a chosen source: for comparing a rollup with the raw points. */
  seriesFrom(source: SeriesSource, query: SeriesQuery): Promise<Array<{ ts: Date; value: number | null }>>;
}

/**
 * The telemetry store on ClickHouse through @clickhouse/client: a server over HTTP when `url`
 * is set, else embedded chDB in `${dataDir}/clickhouse` (default `.ump`) — the same client
 * code and SQL either way. Create one per process: chDB binds one data directory per process.
 *
 * Reads filter on the tenant id they are given (the caller's verified tenant) and throw a
 * TypeError for a tenant or device id that is not a UUID, a RangeError for a bad bucket or
 * range. `insert` throws a RangeError for a point it cannot keep (see unstorableReason) and
 * is exactly-once per `dedupToken`, rollups included. Calls before `migrate()` fail with
 * ClickHouse's unknown-table error; network and server errors are thrown as they come.
 */
export function createClickHouseStore(opts: ClickHouseStoreOptions = {}): ClickHouseTelemetryStore {
  const tables = telemetryTables(opts.database ?? 'ump');
  const defaultRetentionDays = opts.defaultRetentionDays ?? 365;
  if (!Number.isInteger(defaultRetentionDays) || defaultRetentionDays < 1 || defaultRetentionDays > MAX_RETENTION_DAYS) {
    throw new RangeError(`defaultRetentionDays must be an integer in 1..${MAX_RETENTION_DAYS}`);
  }
  const { client, location } = openClickHouse(opts);
  const journal = createClickHouseJournal(client, tables);
  const toLatest = (row: z.infer<typeof latestRow>): LatestValue[] => {
    const [num, str, bool] = row.v;
    const value = num ?? str ?? (bool === null ? null : bool === 1);
    return value === null ? [] : [{ key: row.key, value, ts: new Date(row.ts_ms) }];
  };
  const latestCache = opts.latestCache
    ? createLatestCache(opts.latestCache, async (devices) => {
        const rows = await selectRows(client, latestOfDevicesSql(tables), { deviceIds: devices.map((d) => d.deviceId) }, latestOfDevicesRow);
        const seeded = new Map<string, SeededLatest[]>();
        for (const row of rows) {
          const ref = deviceRef(row.tenant_id, row.device_id);
          seeded.set(ref, [...(seeded.get(ref) ?? []), ...toLatest(row).map((v) => ({ ...v, retentionDays: row.retention_days }))]);
        }
        return seeded;
      })
    : undefined;

  const seriesFrom = async (source: SeriesSource, q: SeriesQuery) => {
    assertUuid('tenantId', q.tenantId);
    assertUuid('deviceId', q.deviceId);
    const { fromMs, toMs } = alignRange(q.from, q.to, q.bucketSeconds);
    const params = { tenantId: q.tenantId, deviceId: q.deviceId, key: q.key, fromMs, toMs, bucket: q.bucketSeconds };
    const rows = await selectRows(client, seriesSql(tables, source, q.agg), params, seriesRow);
    return rows.map((r) => ({ ts: new Date(r.bucket_s * 1000), value: r.value }));
  };

  return {
    journal,
    alertHistory: createClickHouseAlertHistory(client, tables.alertEvents),
    otaKpi: createClickHouseOtaKpi(client, tables),
    rolloutHistory: createClickHouseRolloutHistory(client, tables),
    location,
    seriesFrom,

    async migrate() {
      for (const { sql } of [...schemaStatements(tables), ...rolloutHistoryStatements(tables)]) await client.command({ query: sql });
    },

    async insert(points, { dedupToken } = {}) {
      await insertJsonLines(client, insertSql('telemetry.insert', tables.points, dedupToken), pointLines(points, defaultRetentionDays));
      await latestCache?.record(points, defaultRetentionDays);
    },

    series: (q) => seriesFrom(seriesSource(q.bucketSeconds), q),

    async latest({ tenantId, deviceId }) {
      assertUuid('tenantId', tenantId);
      assertUuid('deviceId', deviceId);
      // A cache that cannot answer is passed over: ClickHouse has every value too.
      const cached = await latestCache?.read(tenantId, deviceId).catch(() => null);
      if (cached) return cached;
      const rows = await selectRows(client, latestSql(tables), { tenantId, deviceId }, latestRow);
      return rows.flatMap(toLatest);
    },

    async stats({ tenantId, from, to }) {
      assertUuid('tenantId', tenantId);
      const [row] = await selectRows(client, statsSql(tables), { tenantId, ...statsRanges(from, to) }, statsRow);
      return { messages: row?.messages ?? 0, dataPoints: row?.data_points ?? 0, activeDevices: row?.devices ?? 0 };
    },

    close: () => client.close(),
  };
}
