// The telemetry writer: telemetry.v1 → TelemetryStore, exactly once (see plan.ts).
export { createTelemetryWriter, type TelemetryWriter, type TelemetryWriterOptions } from './telemetry-writer';
export { convertMessage, type Converted } from './convert';
export { createWriterMetrics, type WriterMetrics } from './metrics';
export { createAlertHistoryWriter, type AlertHistoryWriter, type AlertHistoryWriterOptions } from './alert-history';
export { createRolloutHistoryWriter, type RolloutHistoryWriter, type RolloutHistoryWriterOptions } from './rollout-history';
export { consumerKey, entryToken, planBatch, type BatchPlan } from './plan';
