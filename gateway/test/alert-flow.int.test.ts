import { eventually } from '@ump/core/src/testing/eventually';
import { postTelemetry } from '@ump/ingest/src/intake/testkit';
import { codes, gql, ok } from './client';
import { eachMode } from './modes';
import { ADMIN, createTenantWithUsers, login, startTestPlatform, type TestPlatform } from './platform';
import { subscribeToAlerts as subscribe } from './subscriber';

// The acceptance path of the alerts issue, as a front end sees it: telemetry crosses a
// threshold → a graphql-ws subscriber gets `RAISED` with the device's name and a ticket
// opens; the device recovers past the clear threshold → `CLEARED` and the ticket resolves.

const CREATE_DEVICE = 'mutation($n: String!) { createDevice(input: { name: $n, labels: ["boiler"] }) { device { id name } accessToken } }';
const CREATE_RULE = 'mutation($input: CreateAlertRuleInput!) { createAlertRule(input: $input) { id } }';
const CREATE_POLICY = 'mutation($input: TicketPolicyInput!) { createTicketPolicy(input: $input) { id } }';
const ALERTS = 'query($f: AlertFilter) { alerts(first: 10, filter: $f) { edges { node { id status severity } } } }';
const TICKETS = 'query { tickets(first: 10) { edges { node { id status priority slaDueAt alerts { id } } } } }';

eachMode('alerts from telemetry to live subscribers', (mode) => {
  let p: TestPlatform;
  let t: Awaited<ReturnType<typeof createTenantWithUsers>>;
  let other: Awaited<ReturnType<typeof createTenantWithUsers>>;
  beforeAll(async () => {
    p = await startTestPlatform(mode);
    const admin = await login(p.url, ADMIN.email, ADMIN.password);
    t = await createTenantWithUsers(p.url, admin);
    other = await createTenantWithUsers(p.url, admin);
  });
  afterAll(() => p?.close());

  it('raises, tickets, clears and resolves, live, for the right tenant only', async () => {
    const { device, accessToken } = (await ok(p.url, CREATE_DEVICE, { n: 'boiler-7' }, t.OPERATOR)).createDevice;
    await ok(p.url, CREATE_POLICY, { input: { name: 'majors', minSeverity: 'MAJOR', priority: 'P2', slaMinutes: 60, autoResolve: true } }, t.TENANT_ADMIN);
    const rule = (
      await ok(
        p.url,
        CREATE_RULE,
        {
          input: {
            name: 'boiler too hot',
            deviceId: device.id,
            severity: 'MAJOR',
            condition: { key: 'temperature', op: 'GT', value: 80 },
            clearCondition: { key: 'temperature', op: 'LT', value: 75 },
          },
        },
        t.OPERATOR,
      )
    ).createAlertRule;
    const mine = await subscribe(p.url, t.VIEWER);
    const filteredOut = await subscribe(p.url, t.VIEWER, { severityAtLeast: 'CRITICAL' });
    const stranger = await subscribe(p.url, other.TENANT_ADMIN);
    try {
      // The rule worker learns of the new rule within seconds: keep the device hot until it does.
      await eventually(
        async () => {
          expect((await postTelemetry(p.intakeUrl, accessToken, { temperature: 90 })).status).toBe(202);
          return mine.received.find((e) => e.type === 'RAISED') ?? null;
        },
        { timeoutMs: 30_000, intervalMs: 500, what: 'the RAISED event on the subscriber' },
      );
      const raised = mine.received.find((e) => e.type === 'RAISED')!;
      expect(raised.alert).toMatchObject({ severity: 'MAJOR', status: 'ACTIVE_UNACK', device: { id: device.id, name: 'boiler-7' }, rule: { name: 'boiler too hot' } });
      // 78 is between the thresholds: hysteresis keeps the alert active.
      expect((await postTelemetry(p.intakeUrl, accessToken, { temperature: 78 })).status).toBe(202);

      const ticket = await eventually(async () => {
        const edges = (await ok(p.url, TICKETS, {}, t.VIEWER)).tickets.edges;
        return edges.length ? edges[0].node : null;
      }, { timeoutMs: 15_000, what: 'a ticket for the alert' });
      expect(ticket).toMatchObject({ status: 'OPEN', priority: 'P2', alerts: [{ id: raised.alert.id }] });
      expect(Date.parse(ticket.slaDueAt) - Date.now()).toBeGreaterThan(55 * 60_000);
      expect(mine.received.filter((e) => e.type === 'CLEARED')).toEqual([]);

      expect((await postTelemetry(p.intakeUrl, accessToken, { temperature: 70 })).status).toBe(202);
      const cleared = await eventually(async () => mine.received.find((e) => e.type === 'CLEARED') ?? null, {
        timeoutMs: 15_000,
        what: 'the CLEARED event',
      });
      expect(cleared.alert).toMatchObject({ id: raised.alert.id, status: 'CLEARED_UNACK' });
      await eventually(async () => (await ok(p.url, TICKETS, {}, t.VIEWER)).tickets.edges[0].node.status === 'RESOLVED', {
        timeoutMs: 15_000,
        what: 'the ticket to auto-resolve',
      });

      // A viewer may watch but not acknowledge; an operator may.
      const ack = 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id status } }';
      expect(codes(await gql(p.url, ack, { id: raised.alert.id }, t.VIEWER))).toEqual(['FORBIDDEN']);
      expect(codes(await gql(p.url, ack, { id: raised.alert.id }, other.TENANT_ADMIN))).toEqual(['NOT_FOUND']);
      expect((await ok(p.url, ack, { id: raised.alert.id }, t.OPERATOR)).acknowledgeAlert.status).toBe('CLEARED_ACK');
      await eventually(async () => mine.received.find((e) => e.type === 'RESOLVED') ?? null, { timeoutMs: 15_000, what: 'RESOLVED' });
      const closed = await ok(p.url, ALERTS, { f: { status: ['CLEARED_ACK'] } }, t.VIEWER);
      expect(closed.alerts.edges.map((e: any) => e.node.id)).toEqual([raised.alert.id]);

      expect(stranger.received).toEqual([]);
      expect(filteredOut.received).toEqual([]);
      expect([mine.errors, stranger.errors, filteredOut.errors]).toEqual([[], [], []]);
      expect(mine.received.filter((e) => e.type === 'RAISED')).toHaveLength(1);
    } finally {
      await Promise.all([mine.close(), filteredOut.close(), stranger.close()]);
    }
    expect(rule.id).toBeTruthy();
  });

  it('refuses malformed rules with BAD_USER_INPUT naming the field', async () => {
    const { device } = (await ok(p.url, CREATE_DEVICE, { n: 'boiler-8' }, t.OPERATOR)).createDevice;
    const bad = await gql(
      p.url,
      CREATE_RULE,
      { input: { name: 'bad', deviceId: device.id, severity: 'MAJOR', condition: { key: 'temperature', op: 'GT', value: 'hot' } } },
      t.OPERATOR,
    );
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    expect(String(bad.errors![0]!.extensions!.field)).toMatch(/^input\.condition/);
    const foreign = await gql(
      p.url,
      CREATE_RULE,
      { input: { name: 'foreign', deviceId: device.id, severity: 'MAJOR', condition: { key: 't', op: 'GT', value: 1 } } },
      other.OPERATOR,
    );
    expect(codes(foreign)).toEqual(['BAD_USER_INPUT']);
    expect(foreign.errors![0]!.extensions!.field).toBe('input.deviceId');
  });
});
