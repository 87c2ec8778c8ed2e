/** A device and the moment from which its behaviour counts (its update, or the stage start). */
export interface KpiWindow {
  deviceId: string;
  /** Epoch ms. */
  from: number;
}

export interface MetricSummary {
  /** Numeric points seen. */
  count: number;
  mean: number | null;
  p95: number | null;
}

/**
 * What the OTA engine's KPI gates read from the telemetry store and the alert history.
 * Each device counts from its own `from` until `to`; the tenant comes from the rollout,
 * and only that tenant's rows are read.
 */
export interface OtaKpiSource {
  /** Alerts raised (alert.events.v1 `raised`, counted once per event id) per device. */
  alertRaises(query: { tenantId: string; windows: KpiWindow[]; to: number }): Promise<Map<string, number>>;
  /** Mean and p95 of a numeric telemetry key over all the devices' points. */
  metric(query: { tenantId: string; windows: KpiWindow[]; key: string; to: number }): Promise<MetricSummary>;
}
