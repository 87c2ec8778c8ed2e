import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSubgraphServer, subgraphContext, type Metrics } from '@ump/core';
import { dbFor } from '@ump/db';
import type { DeviceContext, DeviceDeps } from './context';
import { createLoaders } from './loaders';
import { resolvers } from './resolvers';

export type { DeviceDeps } from './context';

export const typeDefs = readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8');

/**
 * The device subgraph: its Apollo Server and the context builder that verifies the
 * gateway's signed identity. The caller starts the server and serves it (see main.ts).
 */
export function createDeviceSubgraph(deps: DeviceDeps & { internalSecret: string; metrics: Metrics }) {
  const server = createSubgraphServer<DeviceContext>({ typeDefs, resolvers, logger: deps.logger, metrics: deps.metrics });
  const context = subgraphContext<DeviceContext>(deps.internalSecret, (identity) => {
    const db = dbFor(deps.prisma, identity);
    return { identity, db, loaders: createLoaders(db, deps.cache), deps };
  });
  return { name: 'device', server, context };
}
