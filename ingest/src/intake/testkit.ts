// Test support for the intake's tests (not a test itself): an embedded database with a
// tenant, devices and their tokens, the in-memory cache and bus, and a started intake on
// free ports. Fixtures compose: database → tenant → devices → intake.
import { randomBytes } from 'node:crypto';
import {
  createDeviceToken,
  createLogger,
  createMemoryBus,
  createMemoryCache,
  createMetrics,
  type ArtifactStore,
  type Cache,
  type EventBus,
  type IncomingMessage,
} from '@ump/core';
import { createQueryCounter, type PrismaClient, type QueryCounter } from '@ump/db';
import { createEmbeddedTestDatabase } from '@ump/db/src/testing';
import { createIntake, type Intake, type IntakeConfigInput } from './index';

/** A migrated in-memory database with one tenant; `counter` sees every SQL statement. */
export interface TestWorld {
  prisma: PrismaClient;
  counter: QueryCounter;
  tenantId: string;
  /** A device (with a profile when a timeout is given) and its access token. */
  addDevice(options?: { inactivityTimeoutSeconds?: number }): Promise<{ deviceId: string; token: string }>;
  drop(): Promise<void>;
}

/** Creates the database and a tenant on `plan` (default 'free': 30 retention days). */
export async function createTestWorld(plan = 'free'): Promise<TestWorld> {
  const counter = createQueryCounter();
  const { db, drop } = await createEmbeddedTestDatabase({ onQuery: counter.onQuery });
  const tenant = await db.prisma.tenant.create({ data: { name: `acme-${randomBytes(4).toString('hex')}`, plan } });
  return {
    prisma: db.prisma,
    counter,
    tenantId: tenant.id,
    async addDevice({ inactivityTimeoutSeconds } = {}) {
      const suffix = randomBytes(4).toString('hex');
      const profile =
        inactivityTimeoutSeconds === undefined
          ? null
          : await db.prisma.deviceProfile.create({ data: { tenantId: tenant.id, name: `profile-${suffix}`, inactivityTimeoutSeconds } });
      const { token, tokenHash } = createDeviceToken();
      const device = await db.prisma.device.create({
        data: { tenantId: tenant.id, name: `device-${suffix}`, profileId: profile?.id ?? null, credential: { create: { tenantId: tenant.id, tokenHash } } },
      });
      return { deviceId: device.id, token };
    },
    drop,
  };
}

/** Every message of one topic, collected from the beginning by a fresh consumer group. */
export async function collect(bus: EventBus, topic: string): Promise<IncomingMessage[]> {
  const seen: IncomingMessage[] = [];
  await bus.subscribe({
    topic,
    groupId: `test-${randomBytes(4).toString('hex')}`,
    fromBeginning: true,
    handleBatch: async (batch) => void seen.push(...batch.messages),
  });
  return seen;
}

/** A started intake plus what it runs on. */
export interface RunningIntake {
  intake: Intake;
  bus: EventBus;
  cache: Cache;
  httpUrl: string;
  mqttUrl: string;
  metricsText(): Promise<string>;
  stop(): Promise<void>;
}

/** Starts an intake on free ports of 127.0.0.1 (never 1883) with the given config, bus and artifact store. */
export async function startIntake(
  world: TestWorld,
  options: { config?: IntakeConfigInput; bus?: EventBus; cache?: Cache; artifacts?: ArtifactStore } = {},
): Promise<RunningIntake> {
  const bus = options.bus ?? createMemoryBus();
  const cache = options.cache ?? createMemoryCache();
  const metrics = createMetrics('intake');
  const intake = createIntake({
    prisma: world.prisma,
    cache,
    bus,
    logger: createLogger({ name: 'intake', level: 'silent', format: 'json' }),
    metrics,
    config: { httpPort: 0, mqttPort: 0, host: '127.0.0.1', ...options.config },
    ...(options.artifacts ? { artifacts: options.artifacts } : {}),
  });
  const { httpPort, mqttPort } = await intake.start();
  return {
    intake,
    bus,
    cache,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    metricsText: () => metrics.registry.metrics(),
    async stop() {
      await intake.stop();
      await bus.close();
      await cache.close();
    },
  };
}

/** POSTs `body` (a string is sent as is) to the telemetry route, with the token as Bearer. */
export async function postTelemetry(url: string, token: string | null, body: unknown, path = '/api/v1/telemetry') {
  const response = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}
