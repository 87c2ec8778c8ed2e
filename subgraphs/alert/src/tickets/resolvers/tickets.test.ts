import { randomBytes } from 'node:crypto';
import { createMemoryCache, createMetrics, signIdentity, type Cache, type Role } from '@ump/core';
import { eventually } from '@ump/core/src/testing/eventually';
import { createAlertSubgraph } from '../../index';
import { addAlert, addDevice, addRule, addTenant, createTicketWorld, type TestTenant, type TicketWorld } from '../testing';

// Starting and migrating a PGlite takes a few seconds, more on a cold cache.
jest.setTimeout(60_000);

const SECRET = randomBytes(32).toString('hex');
let world: TicketWorld;
let cache: Cache;
let subgraph: ReturnType<typeof createAlertSubgraph>;
let acme: TestTenant;
let bravo: TestTenant;

beforeAll(async () => {
  world = await createTicketWorld();
  cache = createMemoryCache();
  subgraph = createAlertSubgraph({
    prisma: world.prisma,
    cache,
    bus: world.bus,
    logger: world.logger,
    metrics: createMetrics('alert'),
    internalSecret: SECRET,
  });
  acme = await addTenant(world.prisma, 'acme');
  bravo = await addTenant(world.prisma, 'bravo');
});
afterAll(async () => {
  await cache?.close();
  await world?.close();
});

type As = { tenant: TestTenant; role: Exclude<Role, 'PLATFORM_ADMIN'> };
const userOf = ({ tenant, role }: As) =>
  role === 'TENANT_ADMIN' ? tenant.users.admin : role === 'OPERATOR' ? tenant.users.operator : tenant.users.viewer;

/** Runs an operation as a user of a tenant, through the signed-identity context. */
async function exec(as: As, query: string, variables: Record<string, unknown> = {}) {
  const header = await signIdentity(SECRET, { kind: 'user', userId: userOf(as), tenantId: as.tenant.id, role: as.role });
  const contextValue = await subgraph.context({ 'x-ump-identity': header });
  const response = await subgraph.server.executeOperation({ query, variables }, { contextValue });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return response.body.singleResult;
}

/** The data of a successful operation. */
async function ok(as: As, query: string, variables: Record<string, unknown> = {}) {
  const result = await exec(as, query, variables);
  expect(result.errors).toBeUndefined();
  return result.data as Record<string, any>;
}

/** The one error of a failed operation: its code and field. */
async function failure(as: As, query: string, variables: Record<string, unknown> = {}) {
  const result = await exec(as, query, variables);
  expect(result.errors).toHaveLength(1);
  const [error] = result.errors!;
  return { code: error!.extensions?.code, field: error!.extensions?.field, message: error!.message };
}

const admin = () => ({ tenant: acme, role: 'TENANT_ADMIN' as const });
const operator = () => ({ tenant: acme, role: 'OPERATOR' as const });
const viewer = () => ({ tenant: acme, role: 'VIEWER' as const });
const intruder = () => ({ tenant: bravo, role: 'TENANT_ADMIN' as const });

const TICKET = `id title description status priority assigneeId slaDueAt slaBreached resolvedAt closedAt
  policy { id name } alerts { id ticket { id } } comments { body authorId }`;
const CREATE_TICKET = `mutation ($input: CreateTicketInput!) { createTicket(input: $input) { ${TICKET} } }`;
const UPDATE_TICKET = `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { ${TICKET} } }`;
const GET_TICKET = `query ($id: ID!) { ticket(id: $id) { ${TICKET} } }`;
const CREATE_POLICY = `mutation ($input: TicketPolicyInput!) { createTicketPolicy(input: $input) {
  id name enabled minSeverity ruleId profileId labels priority slaMinutes autoResolve assigneeId } }`;

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;

async function newTicket(as: As = operator(), input: Record<string, unknown> = {}) {
  return (await ok(as, CREATE_TICKET, { input: { title: unique('ticket'), ...input } })).createTicket;
}

const eventsOf = (ticketId: string) => world.events.filter((event) => event.ticketId === ticketId);

describe('ticket policies', () => {
  test('created with defaults, listed by name, updated and deleted', async () => {
    const rule = await addRule(world.prisma, acme, unique('rule'));
    const { createTicketPolicy: created } = await ok(operator(), CREATE_POLICY, {
      input: { name: 'zz-night shift', ruleId: rule.id, labels: ['site=berlin', 'site=berlin'], priority: 'P2', slaMinutes: 45 },
    });
    expect(created).toMatchObject({
      name: 'zz-night shift',
      enabled: true,
      minSeverity: 'WARNING',
      ruleId: rule.id,
      profileId: null,
      labels: ['site=berlin'],
      autoResolve: true,
      assigneeId: null,
    });
    await ok(operator(), CREATE_POLICY, { input: { name: 'aa-day shift', priority: 'P4', slaMinutes: 600 } });
    const names = (await ok(viewer(), `{ ticketPolicies { name } }`)).ticketPolicies.map((p: { name: string }) => p.name);
    expect(names.indexOf('aa-day shift')).toBeLessThan(names.indexOf('zz-night shift'));

    const { updateTicketPolicy: updated } = await ok(
      operator(),
      `mutation ($id: ID!) { updateTicketPolicy(id: $id, input: { ruleId: null, slaMinutes: 15, assigneeId: "${acme.users.viewer}" }) { ruleId slaMinutes assigneeId priority } }`,
      { id: created.id },
    );
    expect(updated).toEqual({ ruleId: null, slaMinutes: 15, assigneeId: acme.users.viewer, priority: 'P2' });

    expect((await ok(admin(), `mutation ($id: ID!) { deleteTicketPolicy(id: $id) }`, { id: created.id })).deleteTicketPolicy).toBe(created.id);
    expect(await failure(admin(), `mutation ($id: ID!) { deleteTicketPolicy(id: $id) }`, { id: created.id })).toMatchObject({ code: 'NOT_FOUND' });
  });

  test.each([
    [{ slaMinutes: 0 }, 'input.slaMinutes'],
    [{ name: '  ' }, 'input.name'],
    [{ labels: ['no spaces'] }, 'input.labels.0'],
    [{ ruleId: 'nope' }, 'input.ruleId'],
    [{ assigneeId: '01900000-0000-7000-8000-000000000000' }, 'input.assigneeId'],
  ])('bad input %j is BAD_USER_INPUT on %s', async (patch, field) => {
    const input = { name: unique('policy'), priority: 'P3', slaMinutes: 60, ...patch };
    expect(await failure(operator(), CREATE_POLICY, { input })).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  test("another tenant's rule, profile or user is BAD_USER_INPUT on that field", async () => {
    const foreignRule = await addRule(world.prisma, bravo, unique('rule'));
    const base = { name: unique('policy'), priority: 'P3', slaMinutes: 60 };
    expect(await failure(operator(), CREATE_POLICY, { input: { ...base, ruleId: foreignRule.id } })).toMatchObject({ field: 'input.ruleId' });
    expect(await failure(operator(), CREATE_POLICY, { input: { ...base, profileId: bravo.profileId } })).toMatchObject({ field: 'input.profileId' });
    expect(await failure(operator(), CREATE_POLICY, { input: { ...base, assigneeId: bravo.users.operator } })).toMatchObject({ field: 'input.assigneeId' });
  });

  test('a duplicate name is a CONFLICT on input.name', async () => {
    const input = { name: unique('policy'), priority: 'P3', slaMinutes: 60 };
    await ok(operator(), CREATE_POLICY, { input });
    expect(await failure(operator(), CREATE_POLICY, { input })).toMatchObject({ code: 'CONFLICT', field: 'input.name' });
  });
});

describe('manual tickets', () => {
  test('createTicket links the alerts and publishes opened with the actor', async () => {
    const rule = await addRule(world.prisma, acme, unique('rule'));
    const device = await addDevice(world.prisma, acme, unique('device'));
    const alert = await addAlert(world.prisma, acme, rule.id, device.id);
    const ticket = await newTicket(operator(), { title: 'Boiler leaks', description: 'Water on the floor', alertIds: [alert.id], assigneeId: acme.users.operator });
    expect(ticket).toMatchObject({
      title: 'Boiler leaks',
      description: 'Water on the floor',
      status: 'OPEN',
      priority: 'P3',
      assigneeId: acme.users.operator,
      slaDueAt: null,
      slaBreached: false,
      policy: null,
      // Alert.ticket leads back to the ticket.
      alerts: [{ id: alert.id, ticket: { id: ticket.id } }],
    });
    const [opened] = await eventually(() => (eventsOf(ticket.id).length === 1 ? eventsOf(ticket.id) : null));
    expect(opened).toMatchObject({ type: 'opened', alertIds: [alert.id], actorId: acme.users.operator, tenantId: acme.id });
  });

  test('an alert that is unknown, of another tenant, or on a ticket already is BAD_USER_INPUT naming it', async () => {
    const rule = await addRule(world.prisma, acme, unique('rule'));
    const device = await addDevice(world.prisma, acme, unique('device'));
    const taken = await addAlert(world.prisma, acme, rule.id, device.id);
    await newTicket(operator(), { alertIds: [taken.id] });
    const free = await addAlert(world.prisma, acme, rule.id, device.id);
    const bravoRule = await addRule(world.prisma, bravo, unique('rule'));
    const foreign = await addAlert(world.prisma, bravo, bravoRule.id, (await addDevice(world.prisma, bravo, unique('device'))).id);

    const tryWith = (alertIds: string[]) => failure(operator(), CREATE_TICKET, { input: { title: 't', alertIds } });
    expect(await tryWith([free.id, foreign.id])).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.alertIds.1' });
    expect(await tryWith([free.id, taken.id])).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.alertIds.1' });
    expect(await tryWith(['not-an-id'])).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.alertIds.0' });
    // Nothing was written by the failed attempts.
    expect((await world.prisma.alert.findUniqueOrThrow({ where: { id: free.id } })).ticketId).toBeNull();
  });

  test('assign, comment and read back', async () => {
    const ticket = await newTicket();
    const assigned = await ok(operator(), `mutation ($id: ID!, $user: ID) { assignTicket(id: $id, userId: $user) { assigneeId } }`, {
      id: ticket.id,
      user: acme.users.admin,
    });
    expect(assigned.assignTicket.assigneeId).toBe(acme.users.admin);
    expect(
      await failure(operator(), `mutation ($id: ID!, $user: ID) { assignTicket(id: $id, userId: $user) { id } }`, { id: ticket.id, user: bravo.users.admin }),
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'userId' });
    await ok(operator(), `mutation ($id: ID!) { commentTicket(id: $id, body: " Replaced the valve ") { id } }`, { id: ticket.id });
    expect(await failure(operator(), `mutation ($id: ID!) { commentTicket(id: $id, body: "  ") { id } }`, { id: ticket.id })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'body',
    });
    const read = (await ok(viewer(), GET_TICKET, { id: ticket.id })).ticket;
    expect(read.comments).toEqual([{ body: 'Replaced the valve', authorId: acme.users.operator }]);
    const types = await eventually(() => {
      const seen = eventsOf(ticket.id).map((event) => event.type);
      return seen.length === 3 && seen;
    });
    expect(types).toEqual(['opened', 'assigned', 'commented']);
  });
});

describe('status transitions', () => {
  const setStatus = (as: As, id: string, status: string) => exec(as, UPDATE_TICKET, { id, input: { status } });

  test('OPEN → IN_PROGRESS → RESOLVED → CLOSED, each with its event', async () => {
    const ticket = await newTicket();
    expect((await ok(operator(), UPDATE_TICKET, { id: ticket.id, input: { status: 'IN_PROGRESS', priority: 'P1' } })).updateTicket).toMatchObject({
      status: 'IN_PROGRESS',
      priority: 'P1',
    });
    const resolved = (await ok(operator(), UPDATE_TICKET, { id: ticket.id, input: { status: 'RESOLVED' } })).updateTicket;
    expect(resolved.resolvedAt).toEqual(expect.any(String));
    const closed = (await ok(operator(), UPDATE_TICKET, { id: ticket.id, input: { status: 'CLOSED' } })).updateTicket;
    expect(closed).toMatchObject({ status: 'CLOSED', resolvedAt: resolved.resolvedAt, closedAt: expect.any(String) });
    const types = await eventually(() => {
      const seen = eventsOf(ticket.id).map((event) => `${event.type}:${event.status}:${event.actorId}`);
      return seen.length === 4 && seen;
    });
    const actor = acme.users.operator;
    expect(types).toEqual([`opened:OPEN:${actor}`, `updated:IN_PROGRESS:${actor}`, `resolved:RESOLVED:${actor}`, `closed:CLOSED:${actor}`]);
  });

  test('RESOLVED → OPEN re-opens and forgets the resolution', async () => {
    const ticket = await newTicket();
    await ok(operator(), UPDATE_TICKET, { id: ticket.id, input: { status: 'RESOLVED' } });
    const reopened = (await ok(operator(), UPDATE_TICKET, { id: ticket.id, input: { status: 'OPEN' } })).updateTicket;
    expect(reopened).toMatchObject({ status: 'OPEN', resolvedAt: null });
    await eventually(() => eventsOf(ticket.id).some((event) => event.type === 'reopened'));
  });

  test('invalid changes are BAD_USER_INPUT on input.status; a closed ticket takes no changes', async () => {
    const ticket = await newTicket();
    await ok(operator(), UPDATE_TICKET, { id: ticket.id, input: { status: 'RESOLVED' } });
    const invalid = await setStatus(operator(), ticket.id, 'IN_PROGRESS');
    expect(invalid.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.status' });
    await ok(operator(), UPDATE_TICKET, { id: ticket.id, input: { status: 'CLOSED' } });
    for (const status of ['OPEN', 'IN_PROGRESS', 'RESOLVED']) {
      expect((await setStatus(admin(), ticket.id, status)).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.status' });
    }
    expect(await failure(operator(), UPDATE_TICKET, { id: ticket.id, input: { title: 'new' } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    // An unknown status never reaches the resolver: GraphQL's own check names the variable.
    expect((await setStatus(operator(), ticket.id, 'DONE')).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('closing an unresolved ticket takes a TENANT_ADMIN', async () => {
    const ticket = await newTicket();
    expect((await setStatus(operator(), ticket.id, 'CLOSED')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await ok(admin(), UPDATE_TICKET, { id: ticket.id, input: { status: 'CLOSED' } })).updateTicket).toMatchObject({
      status: 'CLOSED',
      resolvedAt: null,
    });
  });
});

describe('SLA', () => {
  const minutes = (n: number) => new Date(Date.now() + n * 60_000);
  async function insert(title: string, data: { status: string; slaDueAt: Date | null; resolvedAt?: Date; closedAt?: Date }) {
    return world.prisma.ticket.create({ data: { tenantId: acme.id, title, priority: 'P2', ...data } });
  }

  test('slaBreached and the breached filter agree', async () => {
    const tag = unique('sla');
    const breached = [
      await insert(`${tag}-open-late`, { status: 'OPEN', slaDueAt: minutes(-5) }),
      await insert(`${tag}-resolved-late`, { status: 'RESOLVED', slaDueAt: minutes(-60), resolvedAt: minutes(-30) }),
      await insert(`${tag}-closed-unresolved-late`, { status: 'CLOSED', slaDueAt: minutes(-60), closedAt: minutes(-30) }),
    ];
    const kept = [
      await insert(`${tag}-open-in-time`, { status: 'IN_PROGRESS', slaDueAt: minutes(5) }),
      await insert(`${tag}-resolved-in-time`, { status: 'CLOSED', slaDueAt: minutes(-60), resolvedAt: minutes(-90), closedAt: minutes(-10) }),
      await insert(`${tag}-no-sla`, { status: 'OPEN', slaDueAt: null }),
    ];
    const page = async (breachedFilter: boolean) => {
      const data = await ok(viewer(), `query ($b: Boolean) { tickets(first: 100, filter: { breached: $b }) { edges { node { id title slaBreached } } } }`, {
        b: breachedFilter,
      });
      return data.tickets.edges.map((edge: any) => edge.node).filter((node: any) => node.title.startsWith(tag));
    };
    const yes = await page(true);
    const no = await page(false);
    expect(yes.map((n: any) => n.id).sort()).toEqual(breached.map((t) => t.id).sort());
    expect(no.map((n: any) => n.id).sort()).toEqual(kept.map((t) => t.id).sort());
    expect(yes.every((n: any) => n.slaBreached)).toBe(true);
    expect(no.every((n: any) => !n.slaBreached)).toBe(true);
  });
});

describe('tickets connection', () => {
  test('newest first, paged with after, filtered, with totalCount', async () => {
    const assignee = acme.users.admin;
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await newTicket(operator(), { assigneeId: assignee, priority: 'P4' }));
    const QUERY = `query ($after: String) { tickets(first: 2, after: $after, filter: { assigneeId: "${assignee}", priority: P4, status: [OPEN] }) {
      totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`;
    const first = (await ok(viewer(), QUERY)).tickets;
    expect(first.totalCount).toBe(3);
    expect(first.edges.map((e: any) => e.node.id)).toEqual([made[2].id, made[1].id]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await ok(viewer(), QUERY, { after: first.pageInfo.endCursor })).tickets;
    expect(second.edges.map((e: any) => e.node.id)).toEqual([made[0].id]);
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect(await failure(viewer(), QUERY, { after: 'bogus' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});

describe('roles and tenants', () => {
  const mutations = (ticketId: string, policyId: string): Array<[string, string, Record<string, unknown>]> => [
    ['createTicketPolicy', CREATE_POLICY, { input: { name: unique('policy'), priority: 'P3', slaMinutes: 5 } }],
    ['updateTicketPolicy', `mutation ($id: ID!) { updateTicketPolicy(id: $id, input: { slaMinutes: 7 }) { id } }`, { id: policyId }],
    ['deleteTicketPolicy', `mutation ($id: ID!) { deleteTicketPolicy(id: $id) }`, { id: policyId }],
    ['createTicket', CREATE_TICKET, { input: { title: 'x' } }],
    ['updateTicket', UPDATE_TICKET, { id: ticketId, input: { status: 'IN_PROGRESS' } }],
    ['assignTicket', `mutation ($id: ID!) { assignTicket(id: $id, userId: null) { id } }`, { id: ticketId }],
    ['commentTicket', `mutation ($id: ID!) { commentTicket(id: $id, body: "hi") { id } }`, { id: ticketId }],
  ];

  test('a VIEWER reads but every mutation is FORBIDDEN', async () => {
    const ticket = await newTicket();
    const policy = (await ok(operator(), CREATE_POLICY, { input: { name: unique('policy'), priority: 'P3', slaMinutes: 5 } })).createTicketPolicy;
    for (const [name, query, variables] of mutations(ticket.id, policy.id)) {
      expect([name, (await exec(viewer(), query, variables)).errors?.[0]?.extensions?.code]).toEqual([name, 'FORBIDDEN']);
    }
    expect((await ok(viewer(), GET_TICKET, { id: ticket.id })).ticket.status).toBe('OPEN');
    expect((await ok(viewer(), `{ ticketPolicies { id } }`)).ticketPolicies.map((p: any) => p.id)).toContain(policy.id);
  });

  test("another tenant's tickets and policies do not exist for you", async () => {
    const ticket = await newTicket();
    const policy = (await ok(operator(), CREATE_POLICY, { input: { name: unique('policy'), priority: 'P3', slaMinutes: 5 } })).createTicketPolicy;
    for (const [name, query, variables] of mutations(ticket.id, policy.id)) {
      if (name.startsWith('create')) continue;
      expect([name, (await exec(intruder(), query, variables)).errors?.[0]?.extensions?.code]).toEqual([name, 'NOT_FOUND']);
    }
    expect(await failure(intruder(), GET_TICKET, { id: ticket.id })).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    const listed = await ok(intruder(), `{ tickets(first: 100) { totalCount edges { node { id } } } ticketPolicies { id } }`);
    expect(listed.tickets.edges.map((e: any) => e.node.id)).not.toContain(ticket.id);
    expect(listed.tickets.totalCount).toBe(listed.tickets.edges.length);
    expect(listed.ticketPolicies.map((p: any) => p.id)).not.toContain(policy.id);
    // Bravo's own ticket cannot take acme's alerts either.
    const rule = await addRule(world.prisma, acme, unique('rule'));
    const alert = await addAlert(world.prisma, acme, rule.id, (await addDevice(world.prisma, acme, unique('device'))).id);
    expect(await failure(intruder(), CREATE_TICKET, { input: { title: 'x', alertIds: [alert.id] } })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.alertIds.0',
    });
    // And nothing of acme's changed.
    expect((await ok(viewer(), GET_TICKET, { id: ticket.id })).ticket).toMatchObject({ status: 'OPEN', comments: [] });
    expect(await world.prisma.ticketPolicy.findUnique({ where: { id: policy.id } })).not.toBeNull();
  });
});
