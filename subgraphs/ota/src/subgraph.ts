import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSubgraphServer, subgraphContext, type Metrics } from '@ump/core';
import { dbFor } from '@ump/db';
import type { OtaContext, OtaDeps } from './context';
import { createLoaders } from './loaders';
import { resolvers } from './resolvers';

export const typeDefs = readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8');

/**
 * The OTA subgraph: firmware and rollouts. Its Apollo Server and the context builder that
 * verifies the gateway's signed identity. The caller starts the server and serves it, and
 * runs the rollout engine (`deps.engine` only receives operator actions from here).
 */
export function createOtaSubgraph(deps: OtaDeps & { internalSecret: string; metrics: Metrics }) {
  const server = createSubgraphServer<OtaContext>({ typeDefs, resolvers, logger: deps.logger, metrics: deps.metrics });
  const context = subgraphContext<OtaContext>(deps.internalSecret, (identity) => {
    const db = dbFor(deps.prisma, identity);
    return { identity, db, loaders: createLoaders(db), deps };
  });
  return { name: 'ota', server, context };
}
