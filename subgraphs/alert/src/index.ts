import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSubgraphServer, subgraphContext, type Metrics } from '@ump/core';
import { dbFor } from '@ump/db';
import type { AlertContext, AlertDeps } from './context';
import { createLoaders } from './loaders';
import { resolvers } from './resolvers';

export type { AlertDeps } from './context';
export { createSignalConsumer, type SignalConsumer, type SignalConsumerOptions } from './signals/consumer';
export { createTicketAutomation, type TicketAutomation } from './tickets';

export const typeDefs = readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8');

/**
 * The alert subgraph: rules, alerts, tickets. Its Apollo Server and the context builder that
 * verifies the gateway's signed identity. The caller starts the server and serves it.
 */
export function createAlertSubgraph(deps: AlertDeps & { internalSecret: string; metrics: Metrics }) {
  const server = createSubgraphServer<AlertContext>({ typeDefs, resolvers, logger: deps.logger, metrics: deps.metrics });
  const context = subgraphContext<AlertContext>(deps.internalSecret, (identity) => {
    const db = dbFor(deps.prisma, identity);
    return { identity, db, loaders: createLoaders(db), deps };
  });
  return { name: 'alert', server, context };
}
