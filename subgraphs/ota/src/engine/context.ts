import type { Cache, EventBus, Logger, OtaKpiSource } from '@ump/core';
import type { PrismaClient, TenantDb } from '@ump/db';
import type { EngineMetrics } from './metrics';

/** What every part of the engine works with: the deps, resolved once. */
export interface EngineContext {
  prisma: PrismaClient;
  bus: EventBus;
  cache: Cache;
  kpi: OtaKpiSource;
  logger: Logger;
  metrics: EngineMetrics;
  now: () => number;
}

/** A tenant-scoped transaction: every read and write of the engine goes through one. */
export type Tx = Omit<TenantDb, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

/**
 * Interactive transactions of the engine. KPI reads run inside the decision's transaction
 * (the decision must be made on the locked state), so they get more than Prisma's 5 s.
 */
export const TX_OPTIONS = { timeout: 30_000, maxWait: 10_000 } as const;
