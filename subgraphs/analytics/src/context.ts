import type { AlertHistoryStore, Logger, RolloutHistoryStore, SubgraphContext, TelemetryStore } from '@ump/core';

/** What the analytics subgraph needs from its process: it reads the telemetry store only (alert and rollout histories included). */
export interface AnalyticsDeps {
  store: TelemetryStore & { readonly alertHistory: AlertHistoryStore; readonly rolloutHistory: RolloutHistoryStore };
  logger: Logger;
}

export interface AnalyticsContext extends SubgraphContext {
  deps: AnalyticsDeps;
}
