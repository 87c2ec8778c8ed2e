import type { TelemetryValue } from '../events/telemetry';

/** One point as the writer stores it: a message's values at one timestamp. */
export interface TelemetryPoint {
  messageId: string;
  tenantId: string;
  deviceId: string;
  ts: Date;
  values: Record<string, TelemetryValue>;
  retentionDays?: number;
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
  close(): Promise<void>;
}
