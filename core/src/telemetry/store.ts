import { z } from 'zod';
import type { TelemetryValue } from '../events/telemetry';
import type { WriteJournal } from './write-journal';

/** One point as the writer stores it: a message's values at one timestamp. */
export interface TelemetryPoint {
  messageId: string;
  tenantId: string;
  deviceId: string;
  ts: Date;
  values: Record<string, TelemetryValue>;
  retentionDays?: number;
  /** When the intake accepted the point; the store's clock at insert when absent. */
  receivedAt?: Date;
}

export const aggregations = ['AVG', 'MIN', 'MAX', 'SUM', 'COUNT', 'LAST', 'P95'] as const;
export type Aggregation = (typeof aggregations)[number];

export interface SeriesQuery {
  tenantId: string;
  deviceId: string;
  key: string;
  from: Date;
  to: Date;
  bucketSeconds: number;
  agg: Aggregation;
}

export interface LatestValue {
  key: string;
  value: TelemetryValue;
  ts: Date;
}

export interface TelemetryStats {
  messages: number;
  dataPoints: number;
  activeDevices: number;
}

/**
 * The telemetry store port. Every read takes the tenant id from the caller's verified
 * identity, so one tenant never reads another's rows. Implemented over ClickHouse through
 * @clickhouse/client, with a server (CLICKHOUSE_URL) or embedded chDB: same SQL either way.
 */
export interface TelemetryStore {
  /** Creates or upgrades tables and rollups; idempotent. */
  migrate(): Promise<void>;
  /**
   * Writes points. `dedupToken` identifies this exact batch: inserting the same batch with
   * the same token again (after a crash before the offsets were committed) writes nothing.
   */
  insert(points: TelemetryPoint[], opts?: { dedupToken?: string }): Promise<void>;
  /** Buckets of one key, oldest first; empty buckets are omitted. Uses a rollup when the bucket allows. */
  series(query: SeriesQuery): Promise<Array<{ ts: Date; value: number | null }>>;
  /** The last value of each key of a device. */
  latest(query: { tenantId: string; deviceId: string }): Promise<LatestValue[]>;
  /** Messages, data points and distinct devices of a tenant in [from, to). */
  stats(query: { tenantId: string; from: Date; to: Date }): Promise<TelemetryStats>;
  /**
   * The telemetry writer's journal, kept in the same database as the points so both share
   * durability (see write-journal.ts). Absent in stores that cannot offer it.
   */
  readonly journal?: WriteJournal;
  close(): Promise<void>;
}

/**
 * Storable timestamps and retention. ClickHouse's TTL computes `toDateTime(ts) + retention`,
 * and a DateTime ends in February 2106: past it the sum wraps into the past and the row is
 * dropped at once as expired. These bounds keep every such sum below that end.
 */
export const MIN_POINT_TS = Date.UTC(1970, 0, 1);
export const MAX_POINT_TS = Date.UTC(2096, 0, 1);
export const MAX_RETENTION_DAYS = 3_650;

const uuid = z.string().uuid();

/**
 * Why a store cannot keep this point, or undefined when it can. `insert` throws a RangeError
 * for such a point; the telemetry writer dead-letters it instead, since an insert that fails
 * for ever would block its partition.
 */
export function unstorableReason(point: TelemetryPoint): string | undefined {
  if (!uuid.safeParse(point.tenantId).success) return 'tenantId: not a UUID';
  if (!uuid.safeParse(point.deviceId).success) return 'deviceId: not a UUID';
  const ts = point.ts.getTime();
  if (!(ts >= MIN_POINT_TS && ts <= MAX_POINT_TS)) {
    return `ts: outside ${new Date(MIN_POINT_TS).toISOString()}..${new Date(MAX_POINT_TS).toISOString()}`;
  }
  const days = point.retentionDays;
  if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= MAX_RETENTION_DAYS)) {
    return `retentionDays: must be an integer in 1..${MAX_RETENTION_DAYS}`;
  }
  return undefined;
}
