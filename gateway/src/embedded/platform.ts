import path from 'node:path';
import {
  createCache,
  createClickHouseStore,
  createEventBus,
  createFileArtifactStore,
  createMetrics,
  loadOrCreateSecrets,
  type ClickHouseStoreOptions,
  type Logger,
} from '@ump/core';
import { createDatabase, type QueryEvent } from '@ump/db';
import {
  createAlertHistoryWriter,
  createIntake,
  createRolloutHistoryWriter,
  createRuleWorker,
  createTelemetryWriter,
  type IntakeConfigInput,
} from '@ump/ingest';
import { createAlertSubgraph, createSignalConsumer, createTicketAutomation } from '@ump/subgraph-alert';
import { createAnalyticsSubgraph } from '@ump/subgraph-analytics';
import { createDeviceSubgraph } from '@ump/subgraph-device';
import { createOtaSubgraph, createRolloutEngine } from '@ump/subgraph-ota';
import { createTenantSubgraph, ensurePlatformAdmin } from '@ump/subgraph-tenant';
import { createGateway } from '../gateway';
import { serveGateway } from '../serve-gateway';
import { readSupergraph } from '../supergraph';
import { EMBEDDED_BUS_OPTIONS } from './bus-options';

export interface PlatformOptions {
  /** Embedded data (PGlite, chDB, generated secrets) lives here. */
  dataDir: string;
  /** PostgreSQL instead of the embedded store. */
  databaseUrl?: string;
  /** Redis instead of the in-process cache. */
  redisUrl?: string;
  /** Prefix of every Redis key and channel; tests use their own. Default `ump:`. */
  cachePrefix?: string;
  /** Kafka instead of the in-process bus. */
  kafka?: { brokers: string[]; partitions: number; topicPrefix?: string };
  /** Telemetry store settings; with a `url` a ClickHouse server instead of embedded chDB. */
  telemetryStore?: Omit<ClickHouseStoreOptions, 'dataDir'>;
  /** Device intake settings (ports, limits); its defaults apply to the rest. */
  intake?: IntakeConfigInput;
  /** Firmware updates: artifact folder (default `<dataDir>/artifacts`), engine tick (default 5 s), download limits. */
  ota?: { artifactsDir?: string; tickMs?: number; maxUploadBytes?: number; fetchTimeoutMs?: number; allowPrivateNetworks?: boolean };
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
 * Every service in one process: migrates the databases, creates the platform admin on first
 * start, runs the device intake and the telemetry writer, and serves the subgraphs
 * in-process behind the gateway. `close()` stops everything in reverse order, PGlite and
 * chDB included (an open PGlite makes the process exit with 99).
 */
export async function startPlatform(opts: PlatformOptions) {
  const { logger } = opts;
  const secrets = loadOrCreateSecrets(opts.dataDir, { jwtSecret: opts.jwtSecret, internalSecret: opts.internalSecret });
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne();
  };
  try {
    const database = await createDatabase({ databaseUrl: opts.databaseUrl, dataDir: opts.dataDir, onQuery: opts.onQuery });
    closers.push(() => database.close());
    const applied = await database.migrate();
    if (applied.length) logger.info({ migrations: applied }, 'database migrated');
    const admin = await ensurePlatformAdmin(database.prisma, { ...opts.admin, logger });
    const cache = createCache({ redisUrl: opts.redisUrl, keyPrefix: opts.cachePrefix ?? 'ump:' });
    closers.push(() => cache.close());
    const store = createClickHouseStore({ ...opts.telemetryStore, dataDir: opts.dataDir, latestCache: cache });
    closers.push(() => store.close());
    await store.migrate();
    const bus = createEventBus({
      kafkaBrokers: opts.kafka?.brokers,
      partitions: opts.kafka?.partitions,
      topicPrefix: opts.kafka?.topicPrefix,
      clientId: 'ump',
      logger,
      ...EMBEDDED_BUS_OPTIONS,
    });
    closers.push(() => bus.close());
    const metrics = createMetrics('ump');

    const writer = createTelemetryWriter({ bus, store, logger, metrics: metrics.registry });
    await writer.start();
    closers.push(() => writer.stop());
    const rules = createRuleWorker({ bus, prisma: database.prisma, cache, logger, metrics: metrics.registry });
    await rules.start();
    closers.push(() => rules.stop());
    const alertHistory = createAlertHistoryWriter({ bus, store: store.alertHistory, logger, metrics: metrics.registry });
    await alertHistory.start();
    closers.push(() => alertHistory.stop());
    const rolloutHistory = createRolloutHistoryWriter({ bus, store: store.rolloutHistory, logger, metrics: metrics.registry });
    await rolloutHistory.start();
    closers.push(() => rolloutHistory.stop());
    // Firmware bytes: the OTA subgraph writes them, the intake serves them to devices.
    const artifacts = createFileArtifactStore(opts.ota?.artifactsDir ?? path.join(opts.dataDir, 'artifacts'));
    const intake = createIntake({ prisma: database.prisma, cache, bus, logger, metrics, config: opts.intake, artifacts });
    const intakePorts = await intake.start();
    closers.push(() => intake.stop());

    const shared = { prisma: database.prisma, cache, logger, internalSecret: secrets.internalSecret, metrics };
    const tenant = createTenantSubgraph({ ...shared, jwtSecret: secrets.jwtSecret, jwtTtlSeconds: opts.jwtTtlSeconds });
    const device = createDeviceSubgraph(shared);
    const analytics = createAnalyticsSubgraph({ store, logger, metrics, internalSecret: secrets.internalSecret });
    // Alerts: the subgraph, and the consumer that turns the rule worker's signals into alerts.
    const tickets = createTicketAutomation({ bus, logger });
    const alert = createAlertSubgraph({ ...shared, bus, tickets });
    const signalConsumer = createSignalConsumer({ prisma: database.prisma, bus, cache, logger, tickets, metrics: metrics.registry });
    await signalConsumer.start();
    closers.push(() => signalConsumer.stop());
    const engine = createRolloutEngine({ prisma: database.prisma, bus, cache, kpi: store.otaKpi, logger, metrics: metrics.registry, tickMs: opts.ota?.tickMs });
    await engine.start();
    closers.push(() => engine.stop());
    const ota = createOtaSubgraph({
      ...shared,
      bus,
      artifacts,
      engine: engine.actions,
      maxUploadBytes: opts.ota?.maxUploadBytes,
      fetchTimeoutMs: opts.ota?.fetchTimeoutMs,
      allowPrivateNetworks: opts.ota?.allowPrivateNetworks,
    });
    const subgraphs = [tenant, device, alert, ota, analytics];
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
    const served = await serveGateway(gateway, { port: opts.port, host: opts.host, logger, metrics, subscriptions: { bus } });
    closers.push(() => served.close());
    return {
      port: served.port,
      url: `http://localhost:${served.port}/graphql`,
      intake: intakePorts,
      database: database.kind,
      cache: opts.redisUrl ? 'redis' : 'memory',
      bus: opts.kafka ? 'kafka' : 'memory',
      telemetry: store.location,
      admin: { email: opts.admin.email, generatedPassword: admin.generatedPassword },
      /** The in-process subgraphs, for tests that call one directly. */
      subgraphs: { tenant, device, alert, ota, analytics },
      /** The event bus, for tests that publish on it (e.g. alert signals). */
      eventBus: bus,
      secrets,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
