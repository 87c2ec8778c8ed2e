import type { PrismaClient } from '@ump/db';
import { createEmbeddedTestDatabase, type EmbeddedTestDatabase } from '@ump/db/src/testing';
import { seedTenant, signals } from '../../test/fixture';
import type { TicketAutomation } from '../tickets/hooks';
import { applySignal, type SignalOutcome } from './apply';
import { DEFAULT_FLAP_POLICY } from './flapping';

let test: EmbeddedTestDatabase;
let prisma: PrismaClient;
beforeAll(async () => {
  test = await createEmbeddedTestDatabase();
  prisma = test.db.prisma;
}, 60_000);
afterAll(() => test?.drop());

const opts = { flap: DEFAULT_FLAP_POLICY };
const types = (outcome: SignalOutcome) => (outcome.applied ? outcome.events.map((e) => e.type) : outcome.reason);

async function fixture() {
  const seed = await seedTenant(prisma);
  const next = signals({ tenantId: seed.tenant.id, ruleId: seed.rule.id, deviceId: seed.device.id });
  const alerts = () => prisma.alert.findMany({ where: { tenantId: seed.tenant.id }, orderBy: { id: 'asc' } });
  return { ...seed, next, alerts };
}

describe('applySignal', () => {
  it('raises one alert per rule and device and counts repeated firings on it', async () => {
    const f = await fixture();
    expect(types(await applySignal(prisma, f.next('firing'), opts))).toEqual(['raised']);
    expect(types(await applySignal(prisma, f.next('firing'), opts))).toEqual(['updated']);
    expect(types(await applySignal(prisma, f.next('firing'), opts))).toEqual(['updated']);
    const [alert, ...more] = await f.alerts();
    expect(more).toEqual([]);
    expect(alert).toMatchObject({ status: 'ACTIVE_UNACK', occurrences: 3, severity: 'MAJOR', openKey: `${f.tenant.id}:${f.rule.id}:${f.device.id}` });
    expect(alert!.lastSeenAt.getTime()).toBeGreaterThan(alert!.firstSeenAt.getTime());
    const history = await prisma.alertHistory.findMany({ where: { alertId: alert!.id }, orderBy: { at: 'asc' } });
    expect(history.map((h) => [h.action, h.actorId])).toEqual([['raised', null], ['occurred', null], ['occurred', null]]);

    // Another device of the same rule: its own alert.
    const other = signals({ tenantId: f.tenant.id, ruleId: f.rule.id, deviceId: f.devices[1]!.id });
    await applySignal(prisma, other('firing'), opts);
    expect(await f.alerts()).toHaveLength(2);
  });

  it('ignores duplicates and out-of-order signals', async () => {
    const f = await fixture();
    const first = f.next('firing');
    await applySignal(prisma, first, opts);
    expect(types(await applySignal(prisma, first, opts))).toBe('stale');
    const late = f.next('resolved');
    const later = f.next('firing');
    await applySignal(prisma, later, opts);
    expect(types(await applySignal(prisma, late, opts))).toBe('stale');
    expect(await f.alerts()).toMatchObject([{ status: 'ACTIVE_UNACK', occurrences: 2 }]);
  });

  it('escalates severity but never lowers it on a firing', async () => {
    const f = await fixture();
    await applySignal(prisma, f.next('firing', { severity: 'MINOR' }), opts);
    await applySignal(prisma, f.next('firing', { severity: 'CRITICAL' }), opts);
    await applySignal(prisma, f.next('firing', { severity: 'WARNING' }), opts);
    const [alert] = await f.alerts();
    expect(alert!.severity).toBe('CRITICAL');
    const actions = await prisma.alertHistory.findMany({ where: { alertId: alert!.id }, orderBy: { at: 'asc' } });
    expect(actions.map((h) => h.action)).toEqual(['raised', 'escalated', 'occurred']);
  });

  it('clears on resolved, re-opens the same alert on a later firing, and opens a new one once closed', async () => {
    const f = await fixture();
    await applySignal(prisma, f.next('firing'), opts);
    expect(types(await applySignal(prisma, f.next('resolved'), opts))).toEqual(['cleared']);
    expect(await f.alerts()).toMatchObject([{ status: 'CLEARED_UNACK' }]);
    expect((await f.alerts())[0]!.clearedAt).not.toBeNull();
    expect(types(await applySignal(prisma, f.next('resolved'), opts))).toBe('not-active');

    expect(types(await applySignal(prisma, f.next('firing'), opts))).toEqual(['raised']);
    expect(await f.alerts()).toMatchObject([{ status: 'ACTIVE_UNACK', clearedAt: null, occurrences: 2 }]);

    // Acknowledged, then cleared: closed (CLEARED_ACK, no open key); the next firing is a new alert.
    await prisma.alert.updateMany({ where: { tenantId: f.tenant.id }, data: { status: 'ACTIVE_ACK' } });
    expect(types(await applySignal(prisma, f.next('resolved'), opts))).toEqual(['resolved']);
    expect(await f.alerts()).toMatchObject([{ status: 'CLEARED_ACK', openKey: null }]);
    expect(types(await applySignal(prisma, f.next('firing'), opts))).toEqual(['raised']);
    expect((await f.alerts()).map((a) => a.status)).toEqual(['CLEARED_ACK', 'ACTIVE_UNACK']);
  });

  it('does not re-open a closed fingerprint with a redelivered older firing', async () => {
    const f = await fixture();
    const firing = f.next('firing');
    await applySignal(prisma, firing, opts);
    await prisma.alert.updateMany({ where: { tenantId: f.tenant.id }, data: { status: 'ACTIVE_ACK' } });
    await applySignal(prisma, f.next('resolved'), opts);
    expect(types(await applySignal(prisma, firing, opts))).toBe('stale');
    expect(await f.alerts()).toHaveLength(1);
  });

  it('marks an alert flapping after more than 5 state changes in 10 minutes and holds its notifications', async () => {
    const f = await fixture();
    const seen: string[][] = [];
    // raise, clear, raise, clear, raise = 5 changes: still notifying.
    for (const type of ['firing', 'resolved', 'firing', 'resolved', 'firing'] as const) {
      seen.push(types(await applySignal(prisma, f.next(type), opts)) as string[]);
    }
    expect(seen).toEqual([['raised'], ['cleared'], ['raised'], ['cleared'], ['raised']]);
    // The sixth change flaps: one `updated` announcing it, no `cleared`.
    const sixth = await applySignal(prisma, f.next('resolved'), opts);
    expect(types(sixth)).toEqual(['updated']);
    expect(sixth.applied && sixth.events[0]!.flapping).toBe(true);
    // While flapping: nothing is published, history is still written.
    expect(types(await applySignal(prisma, f.next('firing'), opts))).toEqual([]);
    expect(types(await applySignal(prisma, f.next('resolved'), opts))).toEqual([]);
    const [alert] = await f.alerts();
    expect(alert).toMatchObject({ flapping: true, status: 'CLEARED_UNACK' });
    const history = await prisma.alertHistory.findMany({ where: { alertId: alert!.id } });
    expect(history.filter((h) => h.action === 'flapping')).toHaveLength(1);
    expect(history.filter((h) => h.action === 'cleared')).toHaveLength(4);

    // After a quiet window the next signal settles it and notifies again.
    const quiet = alert!.lastSignalAt.getTime() + DEFAULT_FLAP_POLICY.windowMs + 1_000;
    expect(types(await applySignal(prisma, f.next('firing', { at: quiet }), opts))).toEqual(['updated', 'raised']);
    expect(await f.alerts()).toMatchObject([{ flapping: false, status: 'ACTIVE_UNACK' }]);
  });

  it('records alerts of suppressed devices without events or tickets', async () => {
    const f = await fixture();
    const raised: string[] = [];
    const tickets: TicketAutomation = {
      onAlertRaised: async (_db, alert) => (raised.push(alert.id), null),
      onAlertCleared: async () => undefined,
    };
    await prisma.suppression.create({
      data: { id: crypto.randomUUID(), tenantId: f.tenant.id, name: 'maintenance', target: { labels: ['site=berlin'] }, startsAt: new Date(Date.now() - 60_000), endsAt: new Date(Date.now() + 3_600_000) },
    });
    expect(types(await applySignal(prisma, f.next('firing'), { ...opts, tickets }))).toEqual([]);
    expect(types(await applySignal(prisma, f.next('resolved'), { ...opts, tickets }))).toEqual([]);
    expect(await f.alerts()).toMatchObject([{ suppressed: true, status: 'CLEARED_UNACK' }]);
    expect(raised).toEqual([]);

    // Device 1 carries no label: not covered, notified, and the ticket hook links its ticket.
    const ticketId = crypto.randomUUID();
    await prisma.ticket.create({ data: { id: ticketId, tenantId: f.tenant.id, title: 't', status: 'OPEN', priority: 'P2' } });
    tickets.onAlertRaised = async (_db, alert) => (raised.push(alert.id), ticketId);
    const other = signals({ tenantId: f.tenant.id, ruleId: f.rule.id, deviceId: f.devices[1]!.id });
    const outcome = await applySignal(prisma, other('firing'), { ...opts, tickets });
    expect(types(outcome)).toEqual(['raised']);
    expect(outcome.applied && outcome.events[0]!.ticketId).toBe(ticketId);
    expect(raised).toHaveLength(1);

    // The window ends while device 0's condition still holds: its next firing surfaces the alert.
    await prisma.suppression.updateMany({ where: { tenantId: f.tenant.id }, data: { endsAt: new Date(Date.now() - 1_000) } });
    expect(types(await applySignal(prisma, f.next('firing'), { ...opts, tickets }))).toEqual(['raised']);
    expect(types(await applySignal(prisma, f.next('firing'), { ...opts, tickets }))).toEqual(['updated']);
    const [surfaced] = await f.alerts();
    expect(surfaced).toMatchObject({ suppressed: false, status: 'ACTIVE_UNACK' });
    expect(raised).toHaveLength(2);
  });

  it('surfaces an active suppressed alert at its first firing after the window ended', async () => {
    const f = await fixture();
    await prisma.suppression.create({
      data: { id: crypto.randomUUID(), tenantId: f.tenant.id, name: 'upgrade', target: { deviceId: f.device.id }, startsAt: new Date(Date.now() - 60_000) },
    });
    expect(types(await applySignal(prisma, f.next('firing'), opts))).toEqual([]);
    expect(types(await applySignal(prisma, f.next('firing'), opts))).toEqual([]);
    await prisma.suppression.deleteMany({ where: { tenantId: f.tenant.id } });
    expect(types(await applySignal(prisma, f.next('firing'), opts))).toEqual(['raised']);
    expect(await f.alerts()).toMatchObject([{ suppressed: false, status: 'ACTIVE_UNACK', occurrences: 3 }]);
  });

  it('ignores a signal naming another tenant’s rule', async () => {
    const a = await fixture();
    const b = await fixture();
    const crossed = signals({ tenantId: a.tenant.id, ruleId: b.rule.id, deviceId: a.device.id });
    expect(types(await applySignal(prisma, crossed('firing'), opts))).toBe('unknown-rule');
    expect(await a.alerts()).toEqual([]);
    expect(await b.alerts()).toEqual([]);
  });

  it('keeps one alert when signals of one fingerprint are applied concurrently (single connection)', async () => {
    const f = await fixture();
    const all = Array.from({ length: 20 }, () => f.next('firing'));
    await Promise.all(all.map((signal) => applySignal(prisma, signal, opts)));
    const alerts = await f.alerts();
    expect(alerts).toHaveLength(1);
    // Concurrent arrival reorders them: any signal older than one already applied is stale.
    expect(alerts[0]!.occurrences).toBeGreaterThanOrEqual(1);
  });
});
