import { alertSignalsTopic, type AlertSignal } from '@ump/core';
import { eventually } from '@ump/core/src/testing/eventually';
import { codes, gql, ok } from './client';
import { eachMode } from './modes';
import { ADMIN, createTenantWithUsers, login, startTestPlatform, type TestPlatform } from './platform';

const CREATE_RULE = 'mutation($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { id name version condition target { deviceId } } }';
const ALERTS = `query($f: AlertFilter) { alerts(first: 10, filter: $f) { totalCount edges { node {
  id status severity occurrences acknowledgedAt clearedAt evidence device { id name } rule { id name } history { action actorId } } } } }`;

eachMode('alerts end to end', (mode) => {
  let p: TestPlatform;
  let t: Awaited<ReturnType<typeof createTenantWithUsers>>;
  beforeAll(async () => {
    p = await startTestPlatform(mode);
    t = await createTenantWithUsers(p.url, await login(p.url, ADMIN.email, ADMIN.password));
  });
  afterAll(() => p?.close());

  /** A signal as the rule worker publishes it. */
  const publish = (signal: AlertSignal) => p.platform.eventBus.publish(alertSignalsTopic.name, [{ key: signal.deviceId, value: signal }]);

  it('raises an alert from a firing signal, then acknowledges and clears it', async () => {
    const device = (await ok(p.url, 'mutation { createDevice(input: { name: "boiler-1" }) { device { id } } }', {}, t.OPERATOR)).createDevice.device;
    const rule = (await ok(p.url, CREATE_RULE, { i: { name: 'too hot', severity: 'MAJOR', deviceId: device.id, condition: { key: 'temperature', op: 'GT', value: 30 } } }, t.OPERATOR)).createAlertRule;
    expect(rule).toMatchObject({ name: 'too hot', version: 1, condition: { key: 'temperature', op: 'GT', value: 30 }, target: { deviceId: device.id } });

    const at = Date.now();
    const signal = (type: AlertSignal['type'], offset: number): AlertSignal => ({
      signalId: `${rule.id}:${device.id}:${type}:${at + offset}`,
      type,
      tenantId: t.tenant.id,
      ruleId: rule.id,
      deviceId: device.id,
      severity: 'MAJOR',
      at: at + offset,
      evidence: { key: 'temperature', value: 35, threshold: '> 30', text: 'temperature 35 > 30' },
    });
    await publish(signal('firing', 0));
    await publish(signal('firing', 1_000));
    const alert = await eventually(
      async () => {
        const page = (await ok(p.url, ALERTS, { f: { ruleId: rule.id } }, t.VIEWER)).alerts;
        const node = page.edges[0]?.node;
        return node?.occurrences === 2 ? node : null;
      },
      { timeoutMs: 20_000, what: 'the alert with two occurrences' },
    );
    // `device { name }` comes from the device subgraph: the alert points at a federated Device.
    expect(alert).toMatchObject({ status: 'ACTIVE_UNACK', severity: 'MAJOR', device: { id: device.id, name: 'boiler-1' }, rule: { id: rule.id, name: 'too hot' } });
    expect(alert.evidence.text).toBe('temperature 35 > 30');

    expect(codes(await gql(p.url, 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }', { id: alert.id }, t.VIEWER))).toEqual(['FORBIDDEN']);
    const acked = (await ok(p.url, 'mutation($id: ID!) { acknowledgeAlert(id: $id) { status acknowledgedAt } }', { id: alert.id }, t.OPERATOR)).acknowledgeAlert;
    expect(acked.status).toBe('ACTIVE_ACK');
    const cleared = (await ok(p.url, 'mutation($id: ID!) { clearAlert(id: $id) { status clearedAt history { action actorId } } }', { id: alert.id }, t.OPERATOR)).clearAlert;
    expect(cleared.status).toBe('CLEARED_ACK');
    expect(cleared.history.map((h: { action: string }) => h.action)).toEqual(['raised', 'occurred', 'acknowledged', 'cleared']);
    expect(cleared.history.at(-1).actorId).toBe(t.OPERATOR.id);
    const closed = await gql(p.url, 'mutation($id: ID!) { clearAlert(id: $id) { id } }', { id: alert.id }, t.OPERATOR);
    expect(codes(closed)).toEqual(['BAD_USER_INPUT']);

    // A firing after the alert closed opens a new one; the incident view groups open alerts.
    await publish(signal('firing', 2_000));
    await eventually(async () => (await ok(p.url, ALERTS, { f: { ruleId: rule.id, status: ['ACTIVE_UNACK'] } }, t.VIEWER)).alerts.totalCount === 1, { timeoutMs: 20_000 });
    const groups = (await ok(p.url, '{ alertGroups { rule { id } count highestSeverity deviceIds } }', {}, t.VIEWER)).alertGroups;
    expect(groups).toEqual([{ rule: { id: rule.id }, count: 1, highestSeverity: 'MAJOR', deviceIds: [device.id] }]);
  });

  it('refuses a malformed rule naming the field, and another tenant sees no alerts', async () => {
    const device = (await ok(p.url, 'mutation { createDevice(input: { name: "boiler-2" }) { device { id } } }', {}, t.OPERATOR)).createDevice.device;
    const bad = await gql(p.url, CREATE_RULE, { i: { name: 'bad', severity: 'MAJOR', deviceId: device.id, condition: { key: 'temperature', op: 'GT', value: 'hot' } } }, t.OPERATOR);
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    expect(bad.errors![0]!.extensions!.field).toBe('input.condition.value');
    const wrongType = await gql(p.url, CREATE_RULE, { i: { name: 'bad', severity: 'SEVERE', deviceId: device.id, condition: { key: 't', op: 'GT', value: 1 } } }, t.OPERATOR);
    expect(codes(wrongType)).toEqual(['BAD_USER_INPUT']);

    const other = await createTenantWithUsers(p.url, await login(p.url, ADMIN.email, ADMIN.password));
    expect((await ok(p.url, '{ alerts { totalCount } alertRules { totalCount } }', {}, other.TENANT_ADMIN))).toEqual({ alerts: { totalCount: 0 }, alertRules: { totalCount: 0 } });
    const foreign = await gql(p.url, CREATE_RULE, { i: { name: 'x', severity: 'MAJOR', deviceId: device.id, condition: { key: 't', op: 'GT', value: 1 } } }, other.OPERATOR);
    expect(codes(foreign)).toEqual(['BAD_USER_INPUT']);
    expect(foreign.errors![0]!.extensions!.field).toBe('input.deviceId');
  });
});
