import {
  alertEventsTopic, alertSignalsTopic, createLogger, createMemoryBus, createMemoryCache, updateWindowKey, uuidv7, type AlertEvent,
  type Cache, type Condition, type EventBus,
} from '@ump/core';
import { eventually } from '@ump/core/src/testing/eventually';
import type { PrismaClient } from '@ump/db';
import { createEmbeddedTestDatabase, type EmbeddedTestDatabase } from '@ump/db/src/testing';
import { Registry } from 'prom-client';
import { seedTenant, signals } from '../../test/fixture';
import type { TicketAutomation } from '../tickets/hooks';
import { applySignal, type SignalOutcome } from './apply';
import { createSignalConsumer } from './consumer';
import { DEFAULT_FLAP_POLICY } from './flapping';
import { surfaceEndedHolds } from './held';
import { cacheUpdateWindow, specWatchesSilence, watchesSilence } from './update-window';

// Silence (NO_DATA) alerts of a device installing an OTA update are held like alerts under
// a maintenance window: recorded, suppressed, never announced while the window lasts.
let test: EmbeddedTestDatabase;
let prisma: PrismaClient;
let cache: Cache;
beforeAll(async () => {
  test = await createEmbeddedTestDatabase();
  prisma = test.db.prisma;
  cache = createMemoryCache();
}, 60_000);
afterAll(async () => {
  await cache?.close();
  await test?.drop();
});

const silence: Condition = { op: 'NO_DATA', seconds: 300 };
const hot: Condition = { key: 'temperature', op: 'GT', value: 30 };
const types = (outcome: SignalOutcome) => (outcome.applied ? outcome.events.map((e) => e.type) : outcome.reason);
const openWindow = (deviceId: string) => cache.set(updateWindowKey(deviceId), 'rollout', { ttlMs: 600_000 });
const closeWindow = (deviceId: string) => cache.del(updateWindowKey(deviceId));

/** A tenant with two devices, its threshold rule (`hot`) and a rule on `condition` for the same profile. */
async function fixture(condition: Condition = silence) {
  const seed = await seedTenant(prisma);
  const rule = await prisma.alertRule.create({
    data: { id: uuidv7(), tenantId: seed.tenant.id, name: 'silent', severity: 'MAJOR', target: { profileId: seed.profile.id }, spec: { condition } },
  });
  const signalsOf = (ruleId: string, deviceId: string) => signals({ tenantId: seed.tenant.id, ruleId, deviceId });
  const alertOf = (ruleId: string, deviceId: string) => prisma.alert.findFirstOrThrow({ where: { ruleId, deviceId }, orderBy: { id: 'desc' } });
  return { ...seed, silentRule: rule, hotRule: seed.rule, signalsOf, alertOf };
}

/** Ticket hooks that record the alerts they were told about. */
function recordingTickets() {
  const raised: string[] = [];
  const tickets: TicketAutomation = { onAlertRaised: async (_db, alert) => (raised.push(alert.id), null), onAlertCleared: async () => undefined };
  return { raised, tickets };
}

describe('watchesSilence', () => {
  it('finds NO_DATA as the condition or anywhere inside all / any', () => {
    expect(watchesSilence(silence)).toBe(true);
    expect(watchesSilence({ all: [hot, { any: [{ key: 'humidity', op: 'LT', value: 5 }, { op: 'NO_DATA', seconds: 60, key: 'temperature' }] }] })).toBe(true);
    expect(watchesSilence(hot)).toBe(false);
    expect(watchesSilence({ any: [hot, { key: 'temperature', op: 'RATE_GT', value: 1 }] })).toBe(false);
  });

  it('reads a stored spec, and a spec that fails the schema watches nothing', () => {
    expect(specWatchesSilence({ condition: silence, forSeconds: 60 })).toBe(true);
    expect(specWatchesSilence({ condition: hot })).toBe(false);
    expect(specWatchesSilence({ condition: { op: 'NO_DATA' } })).toBe(false);
    expect(specWatchesSilence(null)).toBe(false);
  });
});

describe('applySignal during an OTA update window', () => {
  const updating = () => cacheUpdateWindow(cache, (error) => { throw error; });

  it('records a silence alert of an updating device as suppressed: no events, no ticket', async () => {
    const f = await fixture();
    const { raised, tickets } = recordingTickets();
    await openWindow(f.device.id);
    const next = f.signalsOf(f.silentRule.id, f.device.id);
    const opts = { flap: DEFAULT_FLAP_POLICY, tickets, updating: updating() };
    expect(types(await applySignal(prisma, next('firing'), opts))).toEqual([]);
    expect(types(await applySignal(prisma, next('firing'), opts))).toEqual([]);
    const alert = await f.alertOf(f.silentRule.id, f.device.id);
    expect(alert).toMatchObject({ suppressed: true, status: 'ACTIVE_UNACK', occurrences: 2 });
    expect(raised).toEqual([]);
    const history = await prisma.alertHistory.findMany({ where: { alertId: alert.id }, orderBy: { at: 'asc' } });
    expect(history[0]).toMatchObject({ action: 'raised', details: expect.objectContaining({ suppressed: true, suppressedBy: 'update' }) });
    // The device comes back: the clearing is silent too.
    expect(types(await applySignal(prisma, next('resolved'), opts))).toEqual([]);
    expect(await f.alertOf(f.silentRule.id, f.device.id)).toMatchObject({ suppressed: true, status: 'CLEARED_UNACK' });
  });

  it('announces the same silence alert of a device that is not updating', async () => {
    const f = await fixture();
    const { raised, tickets } = recordingTickets();
    await openWindow(f.devices[1]!.id); // another device's window
    const outcome = await applySignal(prisma, f.signalsOf(f.silentRule.id, f.device.id)('firing'), { flap: DEFAULT_FLAP_POLICY, tickets, updating: updating() });
    expect(types(outcome)).toEqual(['raised']);
    expect(await f.alertOf(f.silentRule.id, f.device.id)).toMatchObject({ suppressed: false });
    expect(raised).toHaveLength(1);
  });

  it('never holds a threshold rule of an updating device', async () => {
    const f = await fixture();
    await openWindow(f.device.id);
    const outcome = await applySignal(prisma, f.signalsOf(f.hotRule.id, f.device.id)('firing'), { flap: DEFAULT_FLAP_POLICY, updating: updating() });
    expect(types(outcome)).toEqual(['raised']);
    expect(await f.alertOf(f.hotRule.id, f.device.id)).toMatchObject({ suppressed: false });
  });

  it('holds a rule whose condition only contains NO_DATA', async () => {
    const f = await fixture({ any: [hot, { op: 'NO_DATA', seconds: 120, key: 'temperature' }] });
    await openWindow(f.device.id);
    const outcome = await applySignal(prisma, f.signalsOf(f.silentRule.id, f.device.id)('firing'), { flap: DEFAULT_FLAP_POLICY, updating: updating() });
    expect(types(outcome)).toEqual([]);
    expect(await f.alertOf(f.silentRule.id, f.device.id)).toMatchObject({ suppressed: true });
  });

  it('surfaces a held alert at its first firing after the window closed, as after a maintenance window', async () => {
    const f = await fixture();
    await openWindow(f.device.id);
    const next = f.signalsOf(f.silentRule.id, f.device.id);
    const opts = { flap: DEFAULT_FLAP_POLICY, updating: updating() };
    expect(types(await applySignal(prisma, next('firing'), opts))).toEqual([]);
    await closeWindow(f.device.id);
    // Still silent after the update (an escalation re-fires): now it is announced.
    expect(types(await applySignal(prisma, next('firing', { severity: 'CRITICAL' }), opts))).toEqual(['raised']);
    const alert = await f.alertOf(f.silentRule.id, f.device.id);
    expect(alert).toMatchObject({ suppressed: false, status: 'ACTIVE_UNACK', severity: 'CRITICAL' });
    const changes = await prisma.alertHistory.findMany({ where: { alertId: alert.id, action: 'suppression' } });
    expect(changes.map((c) => c.details)).toEqual([{ suppressed: { from: true, to: false } }]);
  });

  it('does not hide an announced silence alert when an update starts later', async () => {
    const f = await fixture();
    const next = f.signalsOf(f.silentRule.id, f.device.id);
    const opts = { flap: DEFAULT_FLAP_POLICY, updating: updating() };
    expect(types(await applySignal(prisma, next('firing'), opts))).toEqual(['raised']);
    await openWindow(f.device.id);
    expect(types(await applySignal(prisma, next('firing', { severity: 'CRITICAL' }), opts))).toEqual(['updated']);
    expect(await f.alertOf(f.silentRule.id, f.device.id)).toMatchObject({ suppressed: false });
  });

  it('lets the alert notify when the update window cannot be read', async () => {
    const f = await fixture();
    const failures: string[] = [];
    const broken = createMemoryCache();
    await broken.close(); // every call now rejects
    const opts = { flap: DEFAULT_FLAP_POLICY, updating: cacheUpdateWindow(broken, (_error, deviceId) => void failures.push(deviceId)) };
    expect(types(await applySignal(prisma, f.signalsOf(f.silentRule.id, f.device.id)('firing'), opts))).toEqual(['raised']);
    expect(failures).toEqual([f.device.id]);
  });
});

describe('surfaceEndedHolds', () => {
  const updating = () => cacheUpdateWindow(cache, (error) => { throw error; });

  it('announces a silence alert once its device\'s update window has ended and it is still silent, once', async () => {
    const f = await fixture();
    const { raised, tickets } = recordingTickets();
    const opts = { flap: DEFAULT_FLAP_POLICY, tickets, updating: updating() };
    await openWindow(f.device.id);
    expect(types(await applySignal(prisma, f.signalsOf(f.silentRule.id, f.device.id)('firing'), opts))).toEqual([]);
    const alert = await f.alertOf(f.silentRule.id, f.device.id);
    const mine = async () => (await surfaceEndedHolds(prisma, opts)).filter((e) => e.tenantId === f.tenant.id);
    // Still updating: still held.
    expect(await mine()).toEqual([]);
    // The device never came back (no new firing, no clear): its alert must not stay hidden.
    await closeWindow(f.device.id);
    expect((await mine()).map((e) => [e.alertId, e.type])).toEqual([[alert.id, 'raised']]);
    expect(await f.alertOf(f.silentRule.id, f.device.id)).toMatchObject({ id: alert.id, suppressed: false, lastSignalAt: alert.lastSignalAt });
    expect(raised).toEqual([alert.id]);
    expect(await mine()).toEqual([]);
  });
});

describe('createSignalConsumer with a cache', () => {
  let bus: EventBus;
  const events: AlertEvent[] = [];
  beforeAll(async () => {
    bus = createMemoryBus();
    await bus.subscribe({ topic: alertEventsTopic.name, groupId: 't', handleBatch: async (b) => void events.push(...b.messages.map((m) => m.value as AlertEvent)) });
  });
  afterAll(() => bus?.close());

  it('publishes no alert event for a silence alert of an updating device, and does for the others', async () => {
    const registry = new Registry();
    const consumer = createSignalConsumer({ prisma, bus, cache, logger: createLogger({ name: 't', level: 'silent', format: 'json' }), metrics: registry });
    await consumer.start();
    try {
      const f = await fixture();
      const [updatingDevice, idleDevice] = [f.device.id, f.devices[1]!.id];
      await openWindow(updatingDevice);
      const held = f.signalsOf(f.silentRule.id, updatingDevice)('firing');
      const announced = f.signalsOf(f.silentRule.id, idleDevice)('firing');
      const threshold = f.signalsOf(f.hotRule.id, updatingDevice)('firing');
      await bus.publish(alertSignalsTopic.name, [held, announced, threshold].map((value) => ({ key: value.deviceId, value })));
      const applied = async () => (await registry.getSingleMetric('ump_alert_signals_applied_total')!.get()).values[0]?.value;
      await eventually(async () => (await applied()) === 3);
      await eventually(() => events.filter((e) => e.tenantId === f.tenant.id).length === 2);
      const mine = events.filter((e) => e.tenantId === f.tenant.id).map((e) => [e.ruleId, e.deviceId, e.type]).sort();
      expect(mine).toEqual([[f.silentRule.id, idleDevice, 'raised'], [f.hotRule.id, updatingDevice, 'raised']].sort());
      expect(await f.alertOf(f.silentRule.id, updatingDevice)).toMatchObject({ suppressed: true });
    } finally {
      await consumer.stop();
    }
  });

  it('announces a held alert on its own once the update window is gone', async () => {
    const consumer = createSignalConsumer({ prisma, bus, cache, logger: createLogger({ name: 't', level: 'silent', format: 'json' }), holdCheckMs: 100 });
    const f = await fixture();
    await openWindow(f.device.id);
    await consumer.start();
    try {
      const held = f.signalsOf(f.silentRule.id, f.device.id)('firing');
      await bus.publish(alertSignalsTopic.name, [{ key: held.deviceId, value: held }]);
      await eventually(async () => (await prisma.alert.count({ where: { ruleId: f.silentRule.id, deviceId: f.device.id, suppressed: true } })) === 1);
      expect(events.filter((e) => e.tenantId === f.tenant.id)).toEqual([]);
      await closeWindow(f.device.id);
      await eventually(() => events.some((e) => e.tenantId === f.tenant.id && e.type === 'raised' && e.deviceId === f.device.id));
    } finally {
      await consumer.stop();
    }
  });
});
