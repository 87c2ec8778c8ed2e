import type { PrismaClient, TenantDb } from '@ump/db';
import type { Cache, Logger, SubgraphContext } from '@ump/core';
import type { Loaders } from './loaders';

/** What the device subgraph needs from its process. */
export interface DeviceDeps {
  prisma: PrismaClient;
  cache: Cache;
  logger: Logger;
}

export interface DeviceContext extends SubgraphContext {
  /** Scoped to what the caller may see (see dbFor). */
  db: TenantDb;
  loaders: Loaders;
  deps: DeviceDeps;
}
