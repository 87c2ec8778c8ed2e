import type { AlertHistoryStore, Logger, SubgraphContext, TelemetryStore } from '@ump/core';

/** What the analytics subgraph needs from its process: it reads the telemetry store only (alert history included). */
export interface AnalyticsDeps {
  store: TelemetryStore & { readonly alertHistory: AlertHistoryStore };
  logger: Logger;
}

export interface AnalyticsContext extends SubgraphContext {
  deps: AnalyticsDeps;
}
