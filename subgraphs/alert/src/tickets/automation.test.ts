import { eventually, sleep } from '@ump/core/src/testing/eventually';
import type { TenantDb } from '@ump/db';
import { createTicketAutomation } from './automation';
import { ticketStore } from './data/tickets';
import type { AfterCommit, TicketAutomation } from './hooks';
import { addAlert, addDevice, addRule, addTenant, clearAlert, createTicketWorld, type TestTenant, type TicketWorld } from './testing';

// Starting and migrating a PGlite takes a few seconds, more on a cold cache.
jest.setTimeout(60_000);

const NOW = new Date('2026-11-28T10:00:00.000Z');
let world: TicketWorld;
let automation: TicketAutomation;
let acme: TestTenant;
let bravo: TestTenant;

beforeAll(async () => {
  world = await createTicketWorld();
  automation = createTicketAutomation({ bus: world.bus, logger: world.logger, now: () => NOW });
  acme = await addTenant(world.prisma, 'acme');
  bravo = await addTenant(world.prisma, 'bravo');
});
afterAll(() => world?.close());

/** A policy of `tenant`, written directly: the automation only reads policies. */
function addPolicy(tenant: TestTenant, name: string, data: Partial<{ minSeverity: string; ruleId: string; profileId: string; labels: string[]; priority: string; slaMinutes: number; autoResolve: boolean; enabled: boolean; assigneeId: string }> = {}) {
  return world.prisma.ticketPolicy.create({
    data: { tenantId: tenant.id, name, minSeverity: 'MAJOR', priority: 'P2', slaMinutes: 60, ...data },
  });
}

/** A rule and device of their own, so tests do not see each other's tickets. */
async function scene(tenant: TestTenant, name: string, labels: string[] = []) {
  const rule = await addRule(world.prisma, tenant, `rule-${name}`);
  const device = await addDevice(world.prisma, tenant, `device-${name}`, { labels });
  return { rule, device };
}

const eventsOf = (ticketId: string) => world.events.filter((event) => event.ticketId === ticketId);

describe('onAlertRaised', () => {
  test('a matching policy opens a ticket with its priority, assignee and SLA, and links the alert', async () => {
    const { rule, device } = await scene(acme, 'opens');
    const policy = await addPolicy(acme, 'opens', { ruleId: rule.id, priority: 'P1', slaMinutes: 30, assigneeId: acme.users.operator });
    const alert = await addAlert(world.prisma, acme, rule.id, device.id, { severity: 'CRITICAL' });

    const ticketId = await automation.onAlertRaised(acme.db, alert);

    expect(ticketId).toEqual(expect.any(String));
    const ticket = await world.prisma.ticket.findUniqueOrThrow({ where: { id: ticketId! } });
    expect(ticket).toMatchObject({
      tenantId: acme.id,
      title: 'rule-opens on device-opens',
      status: 'OPEN',
      priority: 'P1',
      policyId: policy.id,
      assigneeId: acme.users.operator,
      slaDueAt: new Date(NOW.getTime() + 30 * 60_000),
    });
    expect((await world.prisma.alert.findUniqueOrThrow({ where: { id: alert.id } })).ticketId).toBe(ticketId);
    const [opened] = await eventually(() => (eventsOf(ticketId!).length === 1 ? eventsOf(ticketId!) : null));
    expect(opened).toMatchObject({
      type: 'opened',
      tenantId: acme.id,
      status: 'OPEN',
      priority: 'P1',
      alertIds: [alert.id],
      slaDueAt: NOW.getTime() + 30 * 60_000,
      assigneeId: acme.users.operator,
    });
    expect(opened!.actorId).toBeUndefined();
  });

  test('a second alert of the same rule and device joins the open ticket', async () => {
    const { rule, device } = await scene(acme, 'joins');
    await addPolicy(acme, 'joins', { ruleId: rule.id, autoResolve: false });
    const first = await addAlert(world.prisma, acme, rule.id, device.id);
    const ticketId = await automation.onAlertRaised(acme.db, first);
    await clearAlert(world.prisma, first.id);

    const second = await addAlert(world.prisma, acme, rule.id, device.id);
    expect(await automation.onAlertRaised(acme.db, second)).toBe(ticketId);

    expect(await world.prisma.ticket.count({ where: { policy: { name: 'joins' } } })).toBe(1);
    const linked = await eventually(() => eventsOf(ticketId!).find((event) => event.type === 'linked'));
    expect(linked.alertIds.sort()).toEqual([first.id, second.id].sort());
  });

  test('another device of the same rule gets a ticket of its own', async () => {
    const { rule, device } = await scene(acme, 'per-device');
    const other = await addDevice(world.prisma, acme, 'device-per-device-2');
    await addPolicy(acme, 'per-device', { ruleId: rule.id });
    const one = await automation.onAlertRaised(acme.db, await addAlert(world.prisma, acme, rule.id, device.id));
    const two = await automation.onAlertRaised(acme.db, await addAlert(world.prisma, acme, rule.id, other.id));
    expect(one).not.toBeNull();
    expect(two).not.toBeNull();
    expect(two).not.toBe(one);
  });

  test('an alert below the minimum severity opens none', async () => {
    const { rule, device } = await scene(acme, 'minor');
    await addPolicy(acme, 'minor', { ruleId: rule.id, minSeverity: 'MAJOR' });
    const alert = await addAlert(world.prisma, acme, rule.id, device.id, { severity: 'MINOR' });
    expect(await automation.onAlertRaised(acme.db, alert)).toBeNull();
    expect((await world.prisma.alert.findUniqueOrThrow({ where: { id: alert.id } })).ticketId).toBeNull();
    // MAJOR itself is enough: "at least".
    const major = await addAlert(world.prisma, acme, rule.id, (await addDevice(world.prisma, acme, 'device-major')).id, { severity: 'MAJOR' });
    expect(await automation.onAlertRaised(acme.db, major)).not.toBeNull();
  });

  test('a suppressed alert opens none', async () => {
    const { rule, device } = await scene(acme, 'suppressed');
    await addPolicy(acme, 'suppressed', { ruleId: rule.id });
    const alert = await addAlert(world.prisma, acme, rule.id, device.id, { suppressed: true });
    expect(await automation.onAlertRaised(acme.db, alert)).toBeNull();
    expect(await world.prisma.ticket.count({ where: { policy: { name: 'suppressed' } } })).toBe(0);
  });

  test('disabled policies, other profiles and missing labels do not match', async () => {
    const { rule, device } = await scene(acme, 'criteria', ['site=berlin']);
    await addPolicy(acme, 'criteria-disabled', { ruleId: rule.id, enabled: false });
    await addPolicy(acme, 'criteria-labels', { ruleId: rule.id, labels: ['site=berlin', 'floor=3'] });
    const otherProfile = await world.prisma.deviceProfile.create({ data: { tenantId: acme.id, name: 'criteria-profile' } });
    await addPolicy(acme, 'criteria-profile', { ruleId: rule.id, profileId: otherProfile.id });
    const alert = await addAlert(world.prisma, acme, rule.id, device.id);
    expect(await automation.onAlertRaised(acme.db, alert)).toBeNull();

    await addPolicy(acme, 'criteria-match', { ruleId: rule.id, labels: ['site=berlin'], profileId: acme.profileId });
    const ticketId = await automation.onAlertRaised(acme.db, alert);
    const ticket = await world.prisma.ticket.findUniqueOrThrow({ where: { id: ticketId! }, include: { policy: true } });
    expect(ticket.policy?.name).toBe('criteria-match');
  });

  test('of several matching policies the most urgent wins, then the first by name', async () => {
    const { rule, device } = await scene(acme, 'urgent');
    await addPolicy(acme, 'urgent-b-p1', { ruleId: rule.id, priority: 'P1' });
    await addPolicy(acme, 'urgent-a-p3', { ruleId: rule.id, priority: 'P3' });
    await addPolicy(acme, 'urgent-a-p1', { ruleId: rule.id, priority: 'P1' });
    const ticketId = await automation.onAlertRaised(acme.db, await addAlert(world.prisma, acme, rule.id, device.id));
    const ticket = await world.prisma.ticket.findUniqueOrThrow({ where: { id: ticketId! }, include: { policy: true } });
    expect(ticket.policy?.name).toBe('urgent-a-p1');
  });

  test("another tenant's policies never apply", async () => {
    const { rule, device } = await scene(acme, 'isolated');
    // Matches everything of its own tenant; acme's alerts must not see it.
    await addPolicy(bravo, 'catch-all', { minSeverity: 'INFO' });
    const alert = await addAlert(world.prisma, acme, rule.id, device.id, { severity: 'CRITICAL' });
    expect(await automation.onAlertRaised(acme.db, alert)).toBeNull();
    expect(await world.prisma.ticket.count({ where: { tenantId: bravo.id } })).toBe(0);
  });

  test("inside the caller's transaction, with afterCommit, the event waits for the commit", async () => {
    const { rule, device } = await scene(acme, 'deferred');
    await addPolicy(acme, 'deferred', { ruleId: rule.id });
    const alert = await addAlert(world.prisma, acme, rule.id, device.id);
    const deferred: Array<() => Promise<void>> = [];
    const afterCommit: AfterCommit = (work) => deferred.push(work);
    const ticketId = await acme.db.$transaction((tx) => automation.onAlertRaised(tx as unknown as TenantDb, alert, afterCommit));
    expect((await world.prisma.alert.findUniqueOrThrow({ where: { id: alert.id } })).ticketId).toBe(ticketId);
    expect(deferred).toHaveLength(1);
    await sleep(50);
    expect(eventsOf(ticketId!)).toEqual([]);
    for (const work of deferred) await work();
    const [opened] = await eventually(() => (eventsOf(ticketId!).length === 1 ? eventsOf(ticketId!) : null));
    expect(opened!.alertIds).toEqual([alert.id]);
  });
});

describe('onAlertCleared', () => {
  async function openTicket(name: string, autoResolve: boolean) {
    const { rule, device } = await scene(acme, name);
    await addPolicy(acme, name, { ruleId: rule.id, autoResolve });
    const first = await addAlert(world.prisma, acme, rule.id, device.id);
    const ticketId = (await automation.onAlertRaised(acme.db, first))!;
    const second = await addAlert(world.prisma, acme, rule.id, device.id);
    await automation.onAlertRaised(acme.db, second);
    return { ticketId, first: { ...first, ticketId }, second: { ...second, ticketId } };
  }
  const statusOf = async (id: string) => (await world.prisma.ticket.findUniqueOrThrow({ where: { id } })).status;

  test('resolves the ticket once every linked alert is cleared', async () => {
    const { ticketId, first, second } = await openTicket('resolves', true);
    await automation.onAlertCleared(acme.db, await clearAlert(world.prisma, first.id));
    expect(await statusOf(ticketId)).toBe('OPEN');

    await automation.onAlertCleared(acme.db, await clearAlert(world.prisma, second.id));
    const ticket = await world.prisma.ticket.findUniqueOrThrow({ where: { id: ticketId } });
    expect(ticket.status).toBe('RESOLVED');
    expect(ticket.resolvedAt).toEqual(NOW);
    const resolved = await eventually(() => eventsOf(ticketId).find((event) => event.type === 'resolved'));
    expect(resolved.status).toBe('RESOLVED');
    expect(eventsOf(ticketId).filter((event) => event.type === 'resolved')).toHaveLength(1);
  });

  test('leaves the ticket open while one linked alert is still active', async () => {
    const { ticketId, first } = await openTicket('still-active', true);
    await automation.onAlertCleared(acme.db, await clearAlert(world.prisma, first.id));
    expect(await statusOf(ticketId)).toBe('OPEN');
  });

  test('leaves the ticket open when its policy does not auto-resolve', async () => {
    const { ticketId, first, second } = await openTicket('manual-resolve', false);
    await automation.onAlertCleared(acme.db, await clearAlert(world.prisma, first.id));
    await automation.onAlertCleared(acme.db, await clearAlert(world.prisma, second.id));
    expect(await statusOf(ticketId)).toBe('OPEN');
  });

  test('leaves a ticket a user already resolved or closed alone', async () => {
    const { ticketId, first, second } = await openTicket('user-closed', true);
    await world.prisma.ticket.update({ where: { id: ticketId }, data: { status: 'CLOSED', closedAt: NOW } });
    await automation.onAlertCleared(acme.db, await clearAlert(world.prisma, first.id));
    await automation.onAlertCleared(acme.db, await clearAlert(world.prisma, second.id));
    expect(await statusOf(ticketId)).toBe('CLOSED');
  });
});

describe('ticketStore.create', () => {
  test('keeps nothing when an alert was taken meanwhile, in its own transaction or joined to one', async () => {
    const { rule, device } = await scene(acme, 'race');
    const free = await addAlert(world.prisma, acme, rule.id, device.id);
    const taken = await addAlert(world.prisma, acme, rule.id, device.id);
    const other = await world.prisma.ticket.create({ data: { tenantId: acme.id, title: 'race-other', status: 'OPEN', priority: 'P3' } });
    await world.prisma.alert.update({ where: { id: taken.id }, data: { ticketId: other.id } });
    const data = { tenantId: acme.id, title: 'race-loser', priority: 'P3' };

    await expect(ticketStore.create(acme.db, data, [free.id, taken.id])).rejects.toMatchObject({ extensions: { code: 'CONFLICT' } });
    await expect(
      acme.db.$transaction((tx) => ticketStore.create(tx as unknown as TenantDb, data, [free.id, taken.id], { joined: true })),
    ).rejects.toMatchObject({ extensions: { code: 'CONFLICT' } });

    expect(await world.prisma.ticket.count({ where: { title: 'race-loser' } })).toBe(0);
    expect((await world.prisma.alert.findUniqueOrThrow({ where: { id: free.id } })).ticketId).toBeNull();
    expect((await world.prisma.alert.findUniqueOrThrow({ where: { id: taken.id } })).ticketId).toBe(other.id);
  });
});
