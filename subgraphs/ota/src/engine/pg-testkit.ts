// Fixtures of the rollout engine's integration tests: several engines over one real
// PostgreSQL database, each with its own Prisma client (its own connection pool, as separate
// processes have), sharing one in-memory bus, cache, clock and KPI source. Fleets and the
// KPI source come from testkit.ts. Not a test file itself.
import {
  createCache, createLogger, createMemoryBus, otaCommandsTopic, otaStatusTopic, rolloutEventsTopic, uuidv7,
  type Cache, type EventBus, type Identity, type OtaCommand, type OtaStatusReport, type RolloutEvent,
} from '@ump/core';
import { createDatabase, type Database, type Prisma, type PrismaClient } from '@ump/db';
import { Registry } from 'prom-client';
import type { EngineContext } from './context';
import { createRolloutEngine } from './index';
import { createEngineMetrics } from './metrics';
import { fakeKpi, testClock, type Fleet } from './testkit';
import type { RolloutEngine } from './types';

/** Everything published on the bus, recorded as `publish` is called (so complete once the publishers resolved). */
export interface Published {
  commands: OtaCommand[];
  events: RolloutEvent[];
}

/**
 * Wraps a bus so every command and rollout event is recorded the moment it is published:
 * exact counts need no polling of a consumer that may still be catching up.
 */
export function recordingBus(inner: EventBus): { bus: EventBus; published: Published } {
  const published: Published = { commands: [], events: [] };
  const copy = <T>(value: unknown): T => JSON.parse(JSON.stringify(value)) as T;
  const bus: EventBus = {
    publish(topic, messages) {
      if (topic === otaCommandsTopic.name) published.commands.push(...messages.map((m) => copy<OtaCommand>(m.value)));
      if (topic === rolloutEventsTopic.name) published.events.push(...messages.map((m) => copy<RolloutEvent>(m.value)));
      return inner.publish(topic, messages);
    },
    subscribe: (options) => inner.subscribe(options),
    buffered: (topic) => inner.buffered(topic),
    close: () => inner.close(),
  };
  return { bus, published };
}

/** One engine of a {@link Cluster}: its own database client, metrics and operator. */
export interface ClusterEngine {
  engine: RolloutEngine;
  /** The engine's own client (own pool); what a separate process would hold. */
  prisma: PrismaClient;
  /** A context like the engine's, over the same client, for calling engine functions directly. */
  ctx: EngineContext;
  registry: Registry;
}

export interface Cluster {
  engines: ClusterEngine[];
  bus: EventBus;
  cache: Cache;
  clock: ReturnType<typeof testClock>;
  kpi: ReturnType<typeof fakeKpi>;
  published: Published;
  /** `n` evaluations of the rollout at once, spread round-robin over the engines. */
  burst(rolloutId: string, n?: number): Promise<void>;
  /** Publishes a device report answering `commandId` (default: the device's current assignment). */
  report(fleet: Fleet, deviceId: string, status: OtaStatusReport['status'], extra?: { commandId?: string; reason?: string; copies?: number }): Promise<OtaStatusReport>;
  /** Stops the engines (their queued evaluations finished and published), closes their clients, the bus and cache. Idempotent. */
  close(): Promise<void>;
}

const silent = createLogger({ name: 'ota-engine-int', level: 'silent', format: 'json' });

/**
 * Starts `engines` engines (default 3) on the database at `databaseUrl`, each with its own
 * client. `groups` 'shared' (default) puts their status consumers in one group, which splits
 * the partitions as Kafka would; 'distinct' gives each its own group, so every report reaches
 * every engine (a redelivery after a rebalance, at its worst). Ticks are an hour apart: the
 * tests decide when evaluations happen, besides the ones reports trigger.
 */
export async function engineCluster(databaseUrl: string, opts: { engines?: number; groups?: 'shared' | 'distinct' } = {}): Promise<Cluster> {
  const { engines: count = 3, groups = 'shared' } = opts;
  const { bus, published } = recordingBus(createMemoryBus());
  const cache = createCache();
  const clock = testClock();
  const kpi = fakeKpi();
  const databases: Database[] = [];
  const engines: ClusterEngine[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const database = await createDatabase({ databaseUrl });
      databases.push(database);
      const registry = new Registry();
      const deps = { prisma: database.prisma, bus, cache, kpi: kpi.source, logger: silent, metrics: registry, now: () => clock.now };
      const engine = createRolloutEngine({ ...deps, tickMs: 3_600_000, groupId: groups === 'shared' ? 'ota-engine' : `ota-engine-${i}` });
      await engine.start();
      const ctx: EngineContext = { ...deps, logger: silent, metrics: createEngineMetrics(registry) };
      engines.push({ engine, prisma: database.prisma, ctx, registry });
    }
  } catch (error) {
    await Promise.allSettled(engines.map((e) => e.engine.stop()));
    await Promise.allSettled(databases.map((d) => d.close()));
    throw error;
  }
  const primary = engines[0]!.prisma;
  let closing: Promise<void> | undefined;

  return {
    engines, bus, cache, clock, kpi, published,
    async burst(rolloutId, n = 50) {
      await Promise.all(Array.from({ length: n }, (_, i) => engines[i % engines.length]!.engine.evaluate(rolloutId)));
    },
    async report(fleet, deviceId, status, extra = {}) {
      const commandId = extra.commandId ?? (await primary.deviceFirmware.findUniqueOrThrow({ where: { deviceId } })).commandId ?? undefined;
      const value: OtaStatusReport = { messageId: uuidv7(), tenantId: fleet.tenant.id, deviceId, commandId, status, reason: extra.reason, at: clock.now };
      const message = { key: deviceId, value: JSON.parse(JSON.stringify(value)) as unknown };
      await bus.publish(otaStatusTopic.name, Array.from({ length: extra.copies ?? 1 }, () => message));
      return value;
    },
    close() {
      closing ??= (async () => {
        await Promise.allSettled(engines.map((e) => e.engine.stop()));
        await bus.close();
        await cache.close();
        await Promise.allSettled(databases.map((d) => d.close()));
      })();
      return closing;
    },
  };
}

/** A DRAFT rollout of the fleet's v2 targeting its label, with `spec` on top. */
export async function createRollout(prisma: PrismaClient, fleet: Fleet, spec: Record<string, unknown>): Promise<string> {
  const rollout = await prisma.rollout.create({
    data: { id: uuidv7(), tenantId: fleet.tenant.id, name: `r-${uuidv7()}`, firmwareId: fleet.v2.id, state: 'DRAFT', spec: { target: { labels: ['fleet=a'] }, ...spec } as Prisma.InputJsonObject },
  });
  return rollout.id;
}

/** An OPERATOR of the fleet's tenant, a new user each call (so a test can tell who won a race). */
export const operatorOf = (fleet: Fleet): Identity & { userId: string } => ({ kind: 'user', userId: uuidv7(), tenantId: fleet.tenant.id, role: 'OPERATOR' });

/**
 * What the database holds about a rollout, in a form tests compare whole. Transitions are in
 * time order, and ids of one millisecond do not sort: move the clock between transitions.
 */
export async function rolloutRecord(prisma: PrismaClient, rolloutId: string) {
  const [rollout, devices, transitions, gates] = await Promise.all([
    prisma.rollout.findUniqueOrThrow({ where: { id: rolloutId } }),
    prisma.rolloutDevice.findMany({ where: { rolloutId }, orderBy: { deviceId: 'asc' } }),
    prisma.rolloutTransition.findMany({ where: { rolloutId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] }),
    prisma.rolloutGateResult.findMany({ where: { rolloutId }, orderBy: [{ stageIndex: 'asc' }, { at: 'asc' }, { gate: 'asc' }] }),
  ]);
  return {
    rollout,
    devices,
    transitions: transitions.map((t) => `${t.fromState}->${t.toState}`),
    gates: gates.map((g) => ({ stageIndex: g.stageIndex, gate: g.gate, passed: g.passed, evidence: g.evidence })),
  };
}
