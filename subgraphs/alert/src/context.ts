import type { PrismaClient, TenantDb } from '@ump/db';
import type { Cache, EventBus, Logger, SubgraphContext } from '@ump/core';

/** What the alert subgraph needs from its process. */
export interface AlertDeps {
  prisma: PrismaClient;
  cache: Cache;
  /** alert.events.v1 and ticket.events.v1 are published here; alert.signals.v1 is consumed from it. */
  bus: EventBus;
  logger: Logger;
}

export interface AlertContext extends SubgraphContext {
  /** Scoped to what the caller may see (see dbFor). */
  db: TenantDb;
  deps: AlertDeps;
}
