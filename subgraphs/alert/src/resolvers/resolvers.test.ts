import { randomBytes } from 'node:crypto';
import {
  alertEventsTopic,
  createLogger,
  createMemoryBus,
  createMemoryCache,
  createMetrics,
  RULE_CHANGES_CHANNEL,
  signIdentity,
  uuidv7,
  type AlertEvent,
  type Cache,
  type EventBus,
  type Role,
} from '@ump/core';
import { eventually } from '@ump/core/src/testing/eventually';
import { createEmbeddedTestDatabase, type EmbeddedTestDatabase } from '@ump/db/src/testing';
import { seedTenant, signals } from '../../test/fixture';
import { createAlertSubgraph } from '../index';
import { applySignal } from '../signals/apply';
import { DEFAULT_FLAP_POLICY } from '../signals/flapping';

const SECRET = randomBytes(32).toString('hex');
let database: EmbeddedTestDatabase;
let cache: Cache;
let bus: EventBus;
let subgraph: ReturnType<typeof createAlertSubgraph>;
const events: AlertEvent[] = [];
const ruleChanges: unknown[] = [];

beforeAll(async () => {
  database = await createEmbeddedTestDatabase();
  cache = createMemoryCache();
  bus = createMemoryBus();
  await bus.subscribe({
    topic: alertEventsTopic.name,
    groupId: 'test',
    handleBatch: async (batch) => void events.push(...batch.messages.map((m) => m.value as AlertEvent)),
  });
  await cache.subscribe(RULE_CHANGES_CHANNEL, (message) => void ruleChanges.push(JSON.parse(message)));
  const logger = createLogger({ name: 'alert', level: 'silent', format: 'json' });
  subgraph = createAlertSubgraph({ prisma: database.db.prisma, cache, bus, logger, metrics: createMetrics('alert'), internalSecret: SECRET });
}, 60_000); // a fresh PGlite with every migration takes a few seconds
afterAll(async () => {
  await bus.close();
  await cache.close();
  await database.drop();
});

type Seed = Awaited<ReturnType<typeof seedTenant>>;
const USER = '00000000-0000-7000-8000-000000000001';

/** Runs an operation as `role` of the seed's tenant, through the signed-identity context. */
async function call(seed: Seed, role: Role, query: string, variables: Record<string, unknown> = {}) {
  const header = await signIdentity(SECRET, { kind: 'user', userId: USER, tenantId: seed.tenant.id, role });
  const contextValue = await subgraph.context({ 'x-ump-identity': header });
  const response = await subgraph.server.executeOperation({ query, variables }, { contextValue });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return response.body.singleResult as { data?: Record<string, any> | null; errors?: Array<{ extensions?: Record<string, unknown> }> };
}
async function ok(seed: Seed, role: Role, query: string, variables: Record<string, unknown> = {}) {
  const result = await call(seed, role, query, variables);
  expect(result.errors).toBeUndefined();
  return result.data!;
}
async function failure(seed: Seed, role: Role, query: string, variables: Record<string, unknown> = {}) {
  const result = await call(seed, role, query, variables);
  expect(result.errors).toHaveLength(1);
  return result.errors![0]!.extensions as { code: string; field?: string };
}

const CREATE_RULE = `mutation($i: CreateAlertRuleInput!) { createAlertRule(input: $i) {
  id name severity enabled version target { deviceId profileId labels } condition forSeconds repeat { count windowSeconds } clearCondition escalation { afterSeconds severity } } }`;
const ALERT_FIELDS = 'id status severity occurrences flapping suppressed acknowledgedAt clearedAt assigneeId evidence device { id } rule { id name } history { action actorId details }';

describe('alert rules', () => {
  it('creates a rule from the flat condition input, announces it, and reads it back', async () => {
    const seed = await seedTenant(database.db.prisma);
    const created = (
      await ok(seed, 'OPERATOR', CREATE_RULE, {
        i: {
          name: 'too hot',
          severity: 'MAJOR',
          deviceId: seed.device.id,
          condition: { key: 'temperature', op: 'GT', value: 30 },
          forSeconds: 60,
          clearCondition: { all: [{ key: 'temperature', op: 'LT', value: 25 }, { op: 'NO_DATA', seconds: 600 }] },
          escalation: [{ afterSeconds: 600, severity: 'CRITICAL' }],
        },
      })
    ).createAlertRule;
    expect(created).toMatchObject({
      name: 'too hot',
      severity: 'MAJOR',
      enabled: true,
      version: 1,
      target: { deviceId: seed.device.id, profileId: null, labels: null },
      condition: { key: 'temperature', op: 'GT', value: 30 },
      forSeconds: 60,
      repeat: null,
      clearCondition: { all: [{ key: 'temperature', op: 'LT', value: 25 }, { op: 'NO_DATA', seconds: 600 }] },
      escalation: [{ afterSeconds: 600, severity: 'CRITICAL' }],
    });
    await eventually(() => ruleChanges.some((c) => JSON.stringify(c) === JSON.stringify({ tenantId: seed.tenant.id, ruleId: created.id, change: 'created' })));

    const updated = (
      await ok(seed, 'TENANT_ADMIN', 'mutation($id: ID!) { updateAlertRule(id: $id, input: { labels: ["site=berlin"], forSeconds: null, enabled: false }) { version enabled target { deviceId labels } forSeconds condition } }', { id: created.id })
    ).updateAlertRule;
    expect(updated).toEqual({ version: 2, enabled: false, target: { deviceId: null, labels: ['site=berlin'] }, forSeconds: null, condition: { key: 'temperature', op: 'GT', value: 30 } });
    await eventually(() => ruleChanges.some((c: any) => c.ruleId === created.id && c.change === 'updated'));

    const page = (await ok(seed, 'VIEWER', '{ alertRules(first: 10) { totalCount edges { node { id name } } } }')).alertRules;
    expect(page.totalCount).toBe(2); // the fixture's rule and this one
    expect((await ok(seed, 'VIEWER', 'query($id: ID!) { alertRule(id: $id) { name } }', { id: created.id })).alertRule.name).toBe('too hot');

    expect((await ok(seed, 'OPERATOR', 'mutation($id: ID!) { deleteAlertRule(id: $id) }', { id: created.id })).deleteAlertRule).toBe(created.id);
    expect((await failure(seed, 'VIEWER', 'query($id: ID!) { alertRule(id: $id) { id } }', { id: created.id })).code).toBe('NOT_FOUND');
    await eventually(() => ruleChanges.some((c: any) => c.ruleId === created.id && c.change === 'deleted'));
  });

  it.each([
    [{ condition: { key: 'temperature', op: 'GT', value: 'hot' } }, 'input.condition.value'],
    [{ condition: { key: 'temperature', op: 'GT' } }, 'input.condition.value'],
    [{ condition: { op: 'GT', value: 3 } }, 'input.condition.key'],
    [{ condition: { key: 'h', op: 'IN_RANGE', min: 5, max: 1 } }, 'input.condition.max'],
    [{ condition: { key: 'h', op: 'GT', value: 1, min: 0 } }, 'input.condition.min'],
    [{ condition: { op: 'NO_DATA' } }, 'input.condition.seconds'],
    [{ condition: { all: [] } }, 'input.condition.all'],
    [{ condition: { any: [{ key: 't', op: 'GT', value: 1 }, { key: 't', op: 'LT', value: [] }] } }, 'input.condition.any.1.value'],
    [{ condition: { key: 't' } }, 'input.condition.op'],
    [{ forSeconds: -1 }, 'input.forSeconds'],
    [{ forSeconds: 10, repeat: { count: 3, windowSeconds: 60 } }, 'input.repeat'],
    [{ escalation: [{ afterSeconds: 0, severity: 'CRITICAL' }] }, 'input.escalation.0.afterSeconds'],
    [{ name: '  ' }, 'input.name'],
    [{ deviceId: null }, 'input.deviceId'],
    [{ profileId: '0190a000-0000-7000-8000-000000000000' }, 'input.profileId'],
    [{ labels: ['bad label'] }, 'input.labels.0'],
  ])('refuses a malformed rule %j with BAD_USER_INPUT on %s', async (change, field) => {
    const seed = await seedTenant(database.db.prisma);
    const base = { name: 'rule', severity: 'MINOR', deviceId: seed.device.id, condition: { key: 'temperature', op: 'GT', value: 30 } };
    const input: Record<string, unknown> = { ...base, ...change };
    // A second target given: exactly one is allowed, the extra one is named.
    if ('profileId' in change) delete input.deviceId;
    if ('labels' in change) delete input.deviceId;
    expect(await failure(seed, 'OPERATOR', CREATE_RULE, { i: input })).toEqual({ code: 'BAD_USER_INPUT', field });
  });

  it('refuses two targets, naming the second', async () => {
    const seed = await seedTenant(database.db.prisma);
    const input = { name: 'r', severity: 'MINOR', deviceId: seed.device.id, labels: ['a'], condition: { key: 't', op: 'GT', value: 1 } };
    expect(await failure(seed, 'OPERATOR', CREATE_RULE, { i: input })).toEqual({ code: 'BAD_USER_INPUT', field: 'input.labels' });
  });

  it('refuses another tenant’s device as target, and a duplicate name with CONFLICT', async () => {
    const seed = await seedTenant(database.db.prisma);
    const other = await seedTenant(database.db.prisma);
    const input = { name: 'hot', severity: 'MINOR', deviceId: other.device.id, condition: { key: 't', op: 'GT', value: 1 } };
    expect(await failure(seed, 'OPERATOR', CREATE_RULE, { i: input })).toEqual({ code: 'BAD_USER_INPUT', field: 'input.deviceId' });
    // The fixture already has a rule named "hot".
    expect(await failure(seed, 'OPERATOR', CREATE_RULE, { i: { ...input, deviceId: seed.device.id } })).toEqual({ code: 'CONFLICT', field: 'input.name' });
  });

  it('lets a VIEWER read rules but not write them', async () => {
    const seed = await seedTenant(database.db.prisma);
    const input = { name: 'v', severity: 'MINOR', deviceId: seed.device.id, condition: { key: 't', op: 'GT', value: 1 } };
    expect((await failure(seed, 'VIEWER', CREATE_RULE, { i: input })).code).toBe('FORBIDDEN');
    expect((await failure(seed, 'VIEWER', 'mutation($id: ID!) { updateAlertRule(id: $id, input: { name: "x" }) { id } }', { id: seed.rule.id })).code).toBe('FORBIDDEN');
    expect((await failure(seed, 'VIEWER', 'mutation($id: ID!) { deleteAlertRule(id: $id) }', { id: seed.rule.id })).code).toBe('FORBIDDEN');
  });
});

describe('alerts', () => {
  async function raised(seed: Seed, deviceIndex = 0) {
    const next = signals({ tenantId: seed.tenant.id, ruleId: seed.rule.id, deviceId: seed.devices[deviceIndex]!.id });
    await applySignal(database.db.prisma, next('firing'), { flap: DEFAULT_FLAP_POLICY });
    await applySignal(database.db.prisma, next('firing', { severity: 'CRITICAL' }), { flap: DEFAULT_FLAP_POLICY });
    return { next, alert: (await database.db.prisma.alert.findFirst({ where: { deviceId: seed.devices[deviceIndex]!.id }, orderBy: { id: 'desc' } }))! };
  }

  it('lists, acknowledges, comments, assigns and clears an alert, with history and events', async () => {
    const seed = await seedTenant(database.db.prisma);
    const { alert } = await raised(seed);
    const page = (await ok(seed, 'VIEWER', `{ alerts(first: 10, filter: { status: [ACTIVE_UNACK], severityAtLeast: MAJOR }) { totalCount edges { node { ${ALERT_FIELDS} } } } }`)).alerts;
    expect(page.totalCount).toBe(1);
    expect(page.edges[0].node).toMatchObject({ id: alert.id, status: 'ACTIVE_UNACK', severity: 'CRITICAL', occurrences: 2, device: { id: seed.device.id }, rule: { id: seed.rule.id, name: 'hot' } });
    expect(page.edges[0].node.evidence).toMatchObject({ key: 'temperature', text: 'temperature 35 > 30' });

    const acked = (await ok(seed, 'OPERATOR', `mutation($id: ID!) { acknowledgeAlert(id: $id) { ${ALERT_FIELDS} } }`, { id: alert.id })).acknowledgeAlert;
    expect(acked.status).toBe('ACTIVE_ACK');
    expect(acked.acknowledgedAt).not.toBeNull();
    expect((await failure(seed, 'OPERATOR', 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }', { id: alert.id }))).toEqual({ code: 'BAD_USER_INPUT', field: 'id' });

    await ok(seed, 'OPERATOR', 'mutation($id: ID!) { commentAlert(id: $id, text: "on it") { id } }', { id: alert.id });
    const user = await database.db.prisma.user.create({ data: { id: uuidv7(), tenantId: seed.tenant.id, email: `${uuidv7()}@x.io`, passwordHash: 'x', role: 'OPERATOR' } });
    expect((await ok(seed, 'OPERATOR', 'mutation($id: ID!, $u: ID) { assignAlert(id: $id, userId: $u) { assigneeId } }', { id: alert.id, u: user.id })).assignAlert.assigneeId).toBe(user.id);
    const foreignUser = '0190a000-0000-7000-8000-00000000beef';
    expect(await failure(seed, 'OPERATOR', 'mutation($id: ID!, $u: ID) { assignAlert(id: $id, userId: $u) { id } }', { id: alert.id, u: foreignUser })).toEqual({ code: 'BAD_USER_INPUT', field: 'userId' });

    const cleared = (await ok(seed, 'OPERATOR', `mutation($id: ID!) { clearAlert(id: $id) { ${ALERT_FIELDS} } }`, { id: alert.id })).clearAlert;
    expect(cleared.status).toBe('CLEARED_ACK');
    expect(cleared.history.map((h: any) => [h.action, h.actorId])).toEqual([
      ['raised', null],
      ['escalated', null],
      ['acknowledged', USER],
      ['commented', USER],
      ['assigned', USER],
      ['cleared', USER],
    ]);
    expect(cleared.history[3].details).toEqual({ text: 'on it' });
    // Closed: every further state action is refused.
    expect(await failure(seed, 'OPERATOR', 'mutation($id: ID!) { clearAlert(id: $id) { id } }', { id: alert.id })).toEqual({ code: 'BAD_USER_INPUT', field: 'id' });
    expect(await failure(seed, 'OPERATOR', 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }', { id: alert.id })).toEqual({ code: 'BAD_USER_INPUT', field: 'id' });

    const mine = () => events.filter((e) => e.alertId === alert.id && e.actorId === USER).map((e) => e.type);
    await eventually(() => mine().length === 4);
    expect(mine()).toEqual(['acknowledged', 'updated', 'updated', 'resolved']);
  });

  it('clears an unacknowledged alert to CLEARED_UNACK and resolves it on acknowledge', async () => {
    const seed = await seedTenant(database.db.prisma);
    const { alert } = await raised(seed);
    expect((await ok(seed, 'OPERATOR', 'mutation($id: ID!) { clearAlert(id: $id) { status clearedAt } }', { id: alert.id })).clearAlert.status).toBe('CLEARED_UNACK');
    expect((await ok(seed, 'OPERATOR', 'mutation($id: ID!) { acknowledgeAlert(id: $id) { status } }', { id: alert.id })).acknowledgeAlert.status).toBe('CLEARED_ACK');
    expect((await database.db.prisma.alert.findUnique({ where: { id: alert.id } }))!.openKey).toBeNull();
  });

  it('forbids every alert mutation to a VIEWER and hides other tenants’ alerts', async () => {
    const seed = await seedTenant(database.db.prisma);
    const other = await seedTenant(database.db.prisma);
    const { alert } = await raised(seed);
    for (const mutation of [
      'acknowledgeAlert(id: $id) { id }',
      'clearAlert(id: $id) { id }',
      'assignAlert(id: $id, userId: null) { id }',
      'commentAlert(id: $id, text: "x") { id }',
    ]) {
      expect((await failure(seed, 'VIEWER', `mutation($id: ID!) { ${mutation} }`, { id: alert.id })).code).toBe('FORBIDDEN');
      expect((await failure(other, 'TENANT_ADMIN', `mutation($id: ID!) { ${mutation} }`, { id: alert.id })).code).toBe('NOT_FOUND');
    }
    expect((await failure(other, 'VIEWER', 'query($id: ID!) { alert(id: $id) { id } }', { id: alert.id })).code).toBe('NOT_FOUND');
    expect((await ok(other, 'VIEWER', '{ alerts { totalCount } alertGroups { count } }'))).toEqual({ alerts: { totalCount: 0 }, alertGroups: [] });
    expect((await failure(other, 'TENANT_ADMIN', 'mutation($id: ID!) { deleteAlertRule(id: $id) }', { id: seed.rule.id })).code).toBe('NOT_FOUND');
  });

  it('pages newest first and filters by device, rule and flapping', async () => {
    const seed = await seedTenant(database.db.prisma, { devices: 3 });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await raised(seed, i)).alert.id);
    const first = (await ok(seed, 'VIEWER', '{ alerts(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }')).alerts;
    expect(first.totalCount).toBe(3);
    expect(first.edges.map((e: any) => e.node.id)).toEqual([ids[2], ids[1]]);
    const rest = (await ok(seed, 'VIEWER', 'query($a: String) { alerts(first: 2, after: $a) { pageInfo { hasNextPage } edges { node { id } } } }', { a: first.pageInfo.endCursor })).alerts;
    expect(rest).toEqual({ pageInfo: { hasNextPage: false }, edges: [{ node: { id: ids[0] } }] });
    const byDevice = (await ok(seed, 'VIEWER', 'query($d: ID) { alerts(filter: { deviceId: $d, flapping: false }) { edges { node { id } } } }', { d: seed.devices[1]!.id })).alerts;
    expect(byDevice.edges).toEqual([{ node: { id: ids[1] } }]);
    expect(await failure(seed, 'VIEWER', '{ alerts(filter: { ruleId: "nope" }) { totalCount } }')).toEqual({ code: 'BAD_USER_INPUT', field: 'filter.ruleId' });

    const groups = (await ok(seed, 'VIEWER', '{ alertGroups { rule { id } count highestSeverity deviceIds } }')).alertGroups;
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ rule: { id: seed.rule.id }, count: 3, highestSeverity: 'CRITICAL' });
    expect([...groups[0].deviceIds].sort()).toEqual(seed.devices.map((d) => d.id).sort());
  });
});

describe('suppressions', () => {
  it('creates, lists and deletes a suppression; VIEWER may only read', async () => {
    const seed = await seedTenant(database.db.prisma);
    const created = (
      await ok(seed, 'OPERATOR', 'mutation($p: ID) { createSuppression(input: { name: "upgrade", profileId: $p, reason: "firmware" }) { id name target { profileId } startsAt endsAt reason } }', { p: seed.profile.id })
    ).createSuppression;
    expect(created).toMatchObject({ name: 'upgrade', target: { profileId: seed.profile.id }, endsAt: null, reason: 'firmware' });
    expect((await ok(seed, 'VIEWER', '{ suppressions { id } }')).suppressions).toEqual([{ id: created.id }]);
    expect((await failure(seed, 'VIEWER', 'mutation($id: ID!) { deleteSuppression(id: $id) }', { id: created.id })).code).toBe('FORBIDDEN');
    expect(await failure(seed, 'OPERATOR', 'mutation { createSuppression(input: { name: "x", labels: ["a"], endsAt: "2000-01-01T00:00:00Z" }) { id } }')).toEqual({ code: 'BAD_USER_INPUT', field: 'input.endsAt' });

    // Signals of a covered device now raise a suppressed alert, without events.
    const next = signals({ tenantId: seed.tenant.id, ruleId: seed.rule.id, deviceId: seed.device.id });
    const outcome = await applySignal(database.db.prisma, next('firing'), { flap: DEFAULT_FLAP_POLICY });
    expect(outcome).toMatchObject({ applied: true, events: [], alert: { suppressed: true } });

    expect((await ok(seed, 'OPERATOR', 'mutation($id: ID!) { deleteSuppression(id: $id) }', { id: created.id })).deleteSuppression).toBe(created.id);
    expect((await ok(seed, 'VIEWER', '{ suppressions { id } }')).suppressions).toEqual([]);
  });
});
