import type { PrismaClient, TenantDb } from '@ump/db';
import type { Cache, EventBus, Logger, SubgraphContext } from '@ump/core';
import type { Loaders } from './loaders';
import type { TicketAutomation } from './tickets/hooks';

/** What the alert subgraph needs from its process. */
export interface AlertDeps {
  prisma: PrismaClient;
  /** Rule changes are announced on its pub/sub (RULE_CHANGES_CHANNEL). */
  cache: Cache;
  /** alert.events.v1 and ticket.events.v1 are published here; alert.signals.v1 is consumed from it. */
  bus: EventBus;
  logger: Logger;
  /** Resolves tickets when users clear alerts; absent, no ticket is touched. */
  tickets?: TicketAutomation;
}

export interface AlertContext extends SubgraphContext {
  /** Scoped to what the caller may see (see dbFor). */
  db: TenantDb;
  loaders: Loaders;
  deps: AlertDeps;
}
