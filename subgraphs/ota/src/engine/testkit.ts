// Test fixtures of the rollout engine: tenant → profile → devices → firmware → rollout, an
// engine on the in-memory bus and cache with a clock the test moves, and devices simulated
// by publishing ota.status.v1 reports. Not a test file itself.
import {
  createCache, createLogger, createMemoryBus, otaCommandsTopic, otaStatusTopic, rolloutEventsTopic, uuidv7,
  type Cache, type EventBus, type Identity, type KpiWindow, type OtaCommand, type OtaKpiSource, type OtaStatus, type RolloutEvent,
} from '@ump/core';
import { eventually } from '@ump/core/src/testing/eventually';
import type { Prisma, PrismaClient } from '@ump/db';
import { createEmbeddedTestDatabase, type EmbeddedTestDatabase } from '@ump/db/src/testing';
import { Registry } from 'prom-client';
import { createRolloutEngine } from './index';
import type { RolloutActions, RolloutEngine } from './types';

let counter = 0;
const sha = (n: number) => n.toString(16).padStart(64, '0');

/** A tenant with a profile, `devices` devices in it (labelled `fleet=a`) running firmware v1, and firmware v2. */
export async function seedFleet(prisma: PrismaClient, devices: number) {
  const n = ++counter;
  const tenant = await prisma.tenant.create({ data: { id: uuidv7(), name: `ota-${process.pid}-${n}-${uuidv7()}` } });
  const profile = await prisma.deviceProfile.create({ data: { id: uuidv7(), tenantId: tenant.id, name: 'meter', inactivityTimeoutSeconds: 600 } });
  const firmware = (version: string, i: number) =>
    prisma.firmware.create({ data: { id: uuidv7(), tenantId: tenant.id, title: 'meter-fw', version, size: 1000 + i, sha256: sha(i), storageKey: `k/${version}`, source: 'UPLOAD' } });
  const v1 = await firmware('1.0.0', 1);
  const v2 = await firmware('2.0.0', 2);
  const ids: string[] = [];
  for (let i = 0; i < devices; i++) ids.push(await addDevice(prisma, tenant.id, profile.id, v1.id, `d-${i}`));
  return { tenant, profile, v1, v2, deviceIds: ids.sort() };
}

/** One more device of the tenant (labelled `fleet=a`), running `firmwareId` when given. */
export async function addDevice(prisma: PrismaClient, tenantId: string, profileId: string | null, firmwareId: string | null, name = `d-${uuidv7()}`, labels = ['fleet=a']) {
  const device = await prisma.device.create({ data: { id: uuidv7(), tenantId, profileId, name, labels } });
  if (firmwareId) {
    await prisma.deviceFirmware.create({ data: { deviceId: device.id, tenantId, currentFirmwareId: firmwareId, currentTitle: 'meter-fw', currentVersion: '1.0.0' } });
  }
  return device.id;
}

/** A KPI source answering what the test set: raises per device, one metric summary. Records its queries. */
export function fakeKpi() {
  const raises = new Map<string, number>();
  const queries: Array<{ kind: 'raises' | 'metric'; tenantId: string; windows: KpiWindow[]; to: number }> = [];
  const source: OtaKpiSource = {
    async alertRaises({ tenantId, windows, to }) {
      queries.push({ kind: 'raises', tenantId, windows, to });
      return new Map(windows.map((w) => [w.deviceId, raises.get(w.deviceId) ?? 0]));
    },
    async metric({ tenantId, windows, to }) {
      queries.push({ kind: 'metric', tenantId, windows, to });
      return { count: 0, mean: null, p95: null };
    },
  };
  return { source, raises, queries };
}

export type Fleet = Awaited<ReturnType<typeof seedFleet>>;

/** A clock the test moves; starts at the real time so rows sort as they would. */
export const testClock = () => {
  const clock = { now: Date.now(), advance: (ms: number) => (clock.now += ms) };
  return clock;
};

/** What the test sees of the bus: every command and rollout event. */
export async function watchBus(bus: EventBus) {
  const commands: OtaCommand[] = [];
  const events: RolloutEvent[] = [];
  await bus.subscribe({ topic: otaCommandsTopic.name, groupId: 'test', fromBeginning: true, handleBatch: async (b) => void commands.push(...b.messages.map((m) => m.value as OtaCommand)) });
  await bus.subscribe({ topic: rolloutEventsTopic.name, groupId: 'test', fromBeginning: true, handleBatch: async (b) => void events.push(...b.messages.map((m) => m.value as RolloutEvent)) });
  return { commands, events };
}

export interface Harness {
  fleet: Fleet;
  rolloutId: string;
  bus: EventBus;
  cache: Cache;
  engine: RolloutEngine;
  actions: RolloutActions;
  clock: ReturnType<typeof testClock>;
  kpi: ReturnType<typeof fakeKpi>;
  registry: Registry;
  seen: Awaited<ReturnType<typeof watchBus>>;
  operator: Identity;
  act(action: keyof RolloutActions, reason?: string, identity?: Identity): Promise<void>;
  /** Publishes a report of the device answering its last command (or what `extra` says). */
  report(deviceId: string, status: OtaStatus, extra?: { commandId?: string; reason?: string; title?: string; version?: string }): Promise<void>;
  /** Waits until the device's RolloutDevice has `status`. */
  deviceIs(deviceId: string, status: string): Promise<void>;
  stateIs(state: string): Promise<void>;
  rollout(): Promise<Prisma.RolloutGetPayload<object>>;
  close(): Promise<void>;
}

const silent = createLogger({ name: 'ota-engine-test', level: 'silent', format: 'json' });

/** An engine over a fresh fleet and a DRAFT rollout of v2 with `spec` (target: the fleet's label). */
export async function harness(prisma: PrismaClient, opts: { devices: number; spec: Record<string, unknown>; bus?: EventBus; fleet?: Fleet }): Promise<Harness> {
  const fleet = opts.fleet ?? (await seedFleet(prisma, opts.devices));
  const rollout = await prisma.rollout.create({
    data: { id: uuidv7(), tenantId: fleet.tenant.id, name: `r-${uuidv7()}`, firmwareId: fleet.v2.id, state: 'DRAFT', spec: { target: { labels: ['fleet=a'] }, ...opts.spec } as Prisma.InputJsonObject },
  });
  const bus = opts.bus ?? createMemoryBus();
  const cache = createCache();
  const seen = await watchBus(bus);
  const clock = testClock();
  const kpi = fakeKpi();
  const registry = new Registry();
  const engine = createRolloutEngine({ prisma, bus, cache, kpi: kpi.source, logger: silent, metrics: registry, tickMs: 3_600_000, now: () => clock.now });
  await engine.start();
  const operator: Identity = { kind: 'user', userId: uuidv7(), tenantId: fleet.tenant.id, role: 'OPERATOR' };
  const { actions } = engine;
  const lastCommand = (deviceId: string) => [...seen.commands].reverse().find((c) => c.deviceId === deviceId && c.type === 'UPDATE');
  return {
    fleet, rolloutId: rollout.id, bus, cache, engine, actions, clock, kpi, registry, seen, operator,
    act: (action, reason, identity = operator) => actions[action]({ identity, rolloutId: rollout.id, reason }),
    async report(deviceId, status, extra = {}) {
      const commandId = extra.commandId ?? (extra.title ? undefined : (await eventually(() => lastCommand(deviceId), { what: `a command for ${deviceId}` })).commandId);
      const value = { messageId: uuidv7(), tenantId: fleet.tenant.id, deviceId, commandId, status, reason: extra.reason, title: extra.title, version: extra.version, at: clock.now };
      await bus.publish(otaStatusTopic.name, [{ key: deviceId, value: JSON.parse(JSON.stringify(value)) }]);
    },
    async deviceIs(deviceId, status) {
      await eventually(async () => (await prisma.rolloutDevice.findUnique({ where: { rolloutId_deviceId: { rolloutId: rollout.id, deviceId } } }))?.status === status, { what: `${deviceId} ${status}` });
    },
    async stateIs(state) {
      await eventually(async () => (await prisma.rollout.findUniqueOrThrow({ where: { id: rollout.id } })).state === state, { what: `rollout ${state}` });
    },
    rollout: () => prisma.rollout.findUniqueOrThrow({ where: { id: rollout.id } }),
    async close() {
      await engine.stop();
      if (!opts.bus) await bus.close();
      await cache.close();
    },
  };
}

/** The rollout's devices in device order. */
export const rolloutDevices = (prisma: PrismaClient, rolloutId: string) => prisma.rolloutDevice.findMany({ where: { rolloutId }, orderBy: { deviceId: 'asc' } });

/**
 * The engine tests' world: an embedded test database for the file, and harnesses over it
 * (see {@link harness}) that close after each test. Registers Jest hooks and a 30 s test
 * timeout; call once at the top of a test file.
 */
export function useEngineTests() {
  // A shared 2-core machine: polls wait up to 5 s, so a test gets more.
  jest.setTimeout(30_000);

  let database: EmbeddedTestDatabase;
  const open: Harness[] = [];
  const prisma = () => database.db.prisma;

  beforeAll(async () => {
    database = await createEmbeddedTestDatabase();
  }, 60_000);
  afterEach(async () => {
    await Promise.all(open.splice(0).map((h) => h.close()));
  });
  afterAll(() => database.drop());

  /** A harness over a fresh fleet of `devices`, its rollout still DRAFT. */
  const draft = async (devices: number, spec: Record<string, unknown>, bus?: EventBus) => {
    const h = await harness(prisma(), { devices, spec, bus });
    open.push(h);
    return h;
  };
  return {
    prisma,
    draft,
    /** A harness as {@link draft} gives, its rollout started. */
    async started(devices: number, spec: Record<string, unknown>, bus?: EventBus) {
      const h = await draft(devices, spec, bus);
      await h.act('start');
      return h;
    },
    /** Closes `h` now rather than after the test, e.g. before closing the bus it was given. */
    async close(h: Harness) {
      await h.close();
      open.splice(open.indexOf(h), 1);
    },
  };
}
