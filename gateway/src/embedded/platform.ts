import {
  createCache,
  createMetrics,
  loadOrCreateSecrets,
  type Logger,
} from '@ump/core';
import { createDatabase, type QueryEvent } from '@ump/db';
import { createDeviceSubgraph } from '@ump/subgraph-device';
import { createTenantSubgraph, ensurePlatformAdmin } from '@ump/subgraph-tenant';
import { createGateway } from '../gateway';
import { serveGateway } from '../serve-gateway';
import { readSupergraph } from '../supergraph';

export interface PlatformOptions {
  /** Embedded data (PGlite, generated secrets) lives here. */
  dataDir: string;
  /** PostgreSQL instead of the embedded store. */
  databaseUrl?: string;
  /** Redis instead of the in-process cache. */
  redisUrl?: string;
  /** Prefix of every Redis key and channel; tests use their own. Default `ump:`. */
  cachePrefix?: string;
  port: number;
  host: string;
  jwtSecret?: string;
  jwtTtlSeconds: number;
  internalSecret?: string;
  admin: { email: string; password?: string };
  limits: { maxDepth: number; maxCost: number };
  logger: Logger;
  /** Sees every SQL statement (tests count them to prove there is no N+1). */
  onQuery?: (event: QueryEvent) => void;
}

/**
 * Every service in one process: migrates the database, creates the platform admin on first
 * start, serves the subgraphs in-process behind the gateway. `close()` stops everything,
 * PGlite included (an open PGlite makes the process exit with 99).
 */
export async function startPlatform(opts: PlatformOptions) {
  const { logger } = opts;
  const secrets = loadOrCreateSecrets(opts.dataDir, { jwtSecret: opts.jwtSecret, internalSecret: opts.internalSecret });
  const database = await createDatabase({ databaseUrl: opts.databaseUrl, dataDir: opts.dataDir, onQuery: opts.onQuery });
  const closers: Array<() => Promise<unknown>> = [() => database.close()];
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne();
  };
  try {
    const applied = await database.migrate();
    if (applied.length) logger.info({ migrations: applied }, 'database migrated');
    const admin = await ensurePlatformAdmin(database.prisma, { ...opts.admin, logger });
    const cache = createCache({ redisUrl: opts.redisUrl, keyPrefix: opts.cachePrefix ?? 'ump:' });
    closers.push(() => cache.close());
    const metrics = createMetrics('ump');
    const shared = { prisma: database.prisma, cache, logger, internalSecret: secrets.internalSecret, metrics };
    const tenant = createTenantSubgraph({ ...shared, jwtSecret: secrets.jwtSecret, jwtTtlSeconds: opts.jwtTtlSeconds });
    const device = createDeviceSubgraph(shared);
    const subgraphs = [tenant, device];
    for (const subgraph of subgraphs) {
      await subgraph.server.start();
      closers.push(() => subgraph.server.stop());
    }
    const gateway = createGateway({
      supergraphSdl: readSupergraph(),
      localSubgraphs: subgraphs,
      jwtSecret: secrets.jwtSecret,
      internalSecret: secrets.internalSecret,
      cache,
      logger,
      metrics,
      limits: opts.limits,
    });
    const served = await serveGateway(gateway, { port: opts.port, host: opts.host, logger, metrics });
    closers.push(() => served.close());
    return {
      port: served.port,
      url: `http://localhost:${served.port}/graphql`,
      database: database.kind,
      cache: opts.redisUrl ? 'redis' : 'memory',
      admin: { email: opts.admin.email, generatedPassword: admin.generatedPassword },
      /** The in-process subgraphs, for tests that call one directly. */
      subgraphs: { tenant, device },
      secrets,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
