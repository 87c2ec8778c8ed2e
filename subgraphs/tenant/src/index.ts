import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSubgraphServer, subgraphContext, type Metrics } from '@ump/core';
import { allTenants, dbFor } from '@ump/db';
import { createLoaders, type TenantContext, type TenantDeps } from './context';
import { resolvers } from './resolvers';

export { ensurePlatformAdmin } from './bootstrap';
export type { TenantDeps } from './context';

export const typeDefs = readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8');

/**
 * The tenant subgraph: its Apollo Server and the context builder that verifies the
 * gateway's signed identity. The caller starts the server and serves it (see main.ts).
 */
export function createTenantSubgraph(deps: TenantDeps & { internalSecret: string; metrics: Metrics }) {
  const server = createSubgraphServer<TenantContext>({
    typeDefs,
    resolvers,
    logger: deps.logger,
    metrics: deps.metrics,
  });
  const crossTenant = allTenants(deps.prisma);
  const context = subgraphContext<TenantContext>(deps.internalSecret, (identity) => {
    const db = dbFor(deps.prisma, identity);
    return { identity, db, crossTenant, loaders: createLoaders(db), deps };
  });
  return { name: 'tenant', server, context };
}
