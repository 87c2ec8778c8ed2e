import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSubgraphServer, subgraphContext, type Metrics } from '@ump/core';
import type { AnalyticsContext, AnalyticsDeps } from './context';
import { resolvers } from './resolvers';

export type { AnalyticsDeps } from './context';

export const typeDefs = readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8');

/**
 * The analytics subgraph: read models over the telemetry store, attached to Device,
 * Tenant and Rollout through federation. The caller starts the server and serves it (see main.ts).
 */
export function createAnalyticsSubgraph(deps: AnalyticsDeps & { internalSecret: string; metrics: Metrics }) {
  const server = createSubgraphServer<AnalyticsContext>({ typeDefs, resolvers, logger: deps.logger, metrics: deps.metrics });
  const context = subgraphContext<AnalyticsContext>(deps.internalSecret, (identity) => ({ identity, deps }));
  return { name: 'analytics', server, context };
}
