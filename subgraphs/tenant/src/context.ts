import type { PrismaClient, TenantDb } from '@ump/db';
import type { Cache, Identity, Logger, SubgraphContext } from '@ump/core';
import { createLoaders, type Loaders } from './loaders';

/** What the tenant subgraph needs from its process. */
export interface TenantDeps {
  prisma: PrismaClient;
  cache: Cache;
  logger: Logger;
  jwtSecret: string;
  jwtTtlSeconds: number;
}

export interface TenantContext extends SubgraphContext {
  /** Scoped to what the caller may see (see dbFor). */
  db: TenantDb;
  /** Unscoped, for the flows that must look across tenants: login and API-key lookup. */
  crossTenant: TenantDb;
  loaders: Loaders;
  deps: TenantDeps;
}

export type { Identity };
export { createLoaders };
