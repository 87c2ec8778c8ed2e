import type { Logger, SubgraphContext, TelemetryStore } from '@ump/core';

/** What the analytics subgraph needs from its process: it reads the telemetry store only. */
export interface AnalyticsDeps {
  store: TelemetryStore;
  logger: Logger;
}

export interface AnalyticsContext extends SubgraphContext {
  deps: AnalyticsDeps;
}
