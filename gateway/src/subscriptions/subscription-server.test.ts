import WebSocket from 'ws';
import { eventually, sleep } from '@ump/core/src/testing/eventually';
import { startFixture, type Fixture } from './fixture';
import { SUBSCRIBER_TOO_SLOW } from './index';

// Three subgraphs: Alert.severity/rule/ticket (alert), Device.name/labels (device),
// Device.latest (analytics).
const ACROSS_SUBGRAPHS = `
  subscription Watch($sev: Severity) {
    live: alertEvents(filter: { severityAtLeast: $sev }) {
      __typename
      type
      at
      alert {
        ...AlertFields
        device { name labels latest { key value } }
        rule { name }
        ticket { id slaDueAt }
      }
    }
  }
  fragment AlertFields on Alert { id level: severity }
`;
const SIMPLE = 'subscription { alertEvents { type alert { id severity } } }';

describe('subscriptions over graphql-ws', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture({ queueSize: 4 });
  });
  afterAll(async () => {
    await fx.close();
  });

  it('delivers each event with fields from three subgraphs, aliases and fragments kept', async () => {
    const acme = await fx.tenant();
    const ticket = fx.addTicket({ tenantId: acme.tenantId, priority: 'P2', slaDueAt: new Date('2026-12-01T00:00:00Z') });
    const row = fx.addAlert({ tenantId: acme.tenantId, severity: 'MAJOR', deviceId: acme.device.id, ticketId: ticket.id });
    const client = fx.client({ authorization: `Bearer ${await acme.token('VIEWER')}` });
    const sub = await fx.subscribe(client, ACROSS_SUBGRAPHS, { sev: 'WARNING' });

    const event = await fx.alertEvent(row, { type: 'acknowledged' });
    await eventually(() => sub.received.length === 1, { what: 'the event' });
    expect(sub.received[0]).toEqual({
      data: {
        live: {
          __typename: 'AlertEvent',
          type: 'ACKNOWLEDGED',
          at: new Date(event.at).toISOString(),
          alert: {
            id: row.id,
            level: 'MAJOR',
            device: { name: acme.device.name, labels: ['site=berlin'], latest: [{ key: 'temperature', value: `21.5@${acme.device.id.slice(0, 4)}` }] },
            rule: { name: 'too hot' },
            ticket: { id: ticket.id, slaDueAt: '2026-12-01T00:00:00.000Z' },
          },
        },
      },
    });
  });

  it('never hands a subscriber another tenant’s events, and does not fetch for them', async () => {
    const acme = await fx.tenant();
    const globex = await fx.tenant();
    const acmeSub = await fx.subscribe(fx.client({ authorization: `Bearer ${await acme.token()}` }), SIMPLE);
    const globexSub = await fx.subscribe(fx.client({ authorization: `Bearer ${await globex.token()}` }), SIMPLE);
    const acmeAlert = fx.addAlert({ tenantId: acme.tenantId, severity: 'CRITICAL', deviceId: acme.device.id });
    const globexAlert = fx.addAlert({ tenantId: globex.tenantId, severity: 'CRITICAL', deviceId: globex.device.id });

    const fetchesBefore = fx.calls.alert;
    await fx.alertEvent(acmeAlert);
    await fx.alertEvent(globexAlert);
    await eventually(() => acmeSub.received.length === 1 && globexSub.received.length === 1, { what: 'one event each' });
    expect(acmeSub.received[0]!.data.alertEvents.alert.id).toBe(acmeAlert.id);
    expect(globexSub.received[0]!.data.alertEvents.alert.id).toBe(globexAlert.id);
    expect(fx.calls.alert - fetchesBefore).toBe(2);
  });

  it('applies the filter to the raw event before anything is fetched', async () => {
    const acme = await fx.tenant();
    const otherDevice = (await fx.tenant()).device; // an id that is not this alert's device
    const sub = await fx.subscribe(
      fx.client({ authorization: `Bearer ${await acme.token()}` }),
      'subscription($f: AlertEventFilter) { alertEvents(filter: $f) { type alert { id severity } } }',
      { f: { severityAtLeast: 'MAJOR', deviceId: acme.device.id, types: ['RAISED', 'CLEARED'] } },
    );
    const warning = fx.addAlert({ tenantId: acme.tenantId, severity: 'WARNING', deviceId: acme.device.id });
    const elsewhere = fx.addAlert({ tenantId: acme.tenantId, severity: 'CRITICAL', deviceId: otherDevice.id });
    const critical = fx.addAlert({ tenantId: acme.tenantId, severity: 'CRITICAL', deviceId: acme.device.id });

    const fetchesBefore = fx.calls.alert;
    await fx.alertEvent(warning); // below MAJOR
    await fx.alertEvent(elsewhere); // another device
    await fx.alertEvent(critical, { type: 'acknowledged' }); // a type not asked for
    await fx.alertEvent(critical, { type: 'cleared' });
    await eventually(() => sub.received.length === 1, { what: 'the matching event' });
    await sleep(50);
    expect(sub.received).toEqual([{ data: { alertEvents: { type: 'CLEARED', alert: { id: critical.id, severity: 'CRITICAL' } } } }]);
    expect(fx.calls.alert - fetchesBefore).toBe(1);
  });

  it('resolves one selection once per event for every subscriber that has it', async () => {
    const acme = await fx.tenant();
    const a = await fx.subscribe(fx.client({ authorization: `Bearer ${await acme.token()}` }), SIMPLE);
    const b = await fx.subscribe(fx.client({ authorization: `Bearer ${await acme.token()}` }), '  subscription {alertEvents{type alert{id severity}}}');
    const row = fx.addAlert({ tenantId: acme.tenantId, severity: 'MINOR', deviceId: acme.device.id });

    const before = { alert: fx.calls.alert, device: fx.calls.device };
    await fx.alertEvent(row);
    await eventually(() => a.received.length === 1 && b.received.length === 1, { what: 'both subscribers' });
    expect(b.received).toEqual(a.received);
    expect(fx.calls.alert - before.alert).toBe(1);

    // A different selection is its own fetch.
    const c = await fx.subscribe(fx.client({ authorization: `Bearer ${await acme.token()}` }), 'subscription { alertEvents { alert { device { name } } } }');
    await fx.alertEvent(row, { type: 'updated' });
    await eventually(() => c.received.length === 1 && a.received.length === 2, { what: 'the second event' });
    expect(fx.calls.alert - before.alert).toBe(3);
    expect(c.received[0]).toEqual({ data: { alertEvents: { alert: { device: { name: acme.device.name } } } } });
  });

  it('serves ticket events too', async () => {
    const acme = await fx.tenant();
    const ticket = fx.addTicket({ tenantId: acme.tenantId, priority: 'P1', slaDueAt: new Date('2026-12-02T00:00:00Z') });
    const sub = await fx.subscribe(
      fx.client({ authorization: `Bearer ${await acme.token()}` }),
      'subscription { ticketEvents(filter: { priority: P1 }) { type ticket { id priority } } }',
    );
    await fx.ticketEvent({ ...ticket, priority: 'P3' }); // filtered out
    await fx.ticketEvent(ticket, { type: 'assigned' });
    await eventually(() => sub.received.length === 1, { what: 'the ticket event' });
    expect(sub.received[0]).toEqual({ data: { ticketEvents: { type: 'ASSIGNED', ticket: { id: ticket.id, priority: 'P1' } } } });
  });

  it('answers with the graph’s error when the entity is gone, and keeps the subscription', async () => {
    const acme = await fx.tenant();
    const sub = await fx.subscribe(fx.client({ authorization: `Bearer ${await acme.token()}` }), SIMPLE);
    const ghost = { id: '0190f0f0-0000-7000-8000-000000000000', tenantId: acme.tenantId, severity: 'MAJOR', deviceId: acme.device.id, ruleId: acme.device.id, ruleName: 'x' };
    await fx.alertEvent(ghost);
    await eventually(() => sub.received.length === 1, { what: 'the error result' });
    expect(sub.received[0]!.data).toBeNull();
    expect(sub.received[0]!.errors).toHaveLength(1);
    expect(sub.received[0]!.errors![0]).toMatchObject({ message: 'Alert not found', path: ['alertEvents', 'alert'], extensions: { code: 'NOT_FOUND' } });
    expect(sub.state.done).toBe(false);
  });

  it('skips events that break the topic contract', async () => {
    const acme = await fx.tenant();
    const sub = await fx.subscribe(fx.client({ authorization: `Bearer ${await acme.token()}` }), SIMPLE);
    const invalidBefore = await fx.metric('ump_subscription_invalid_events_total');
    await fx.publishRaw('alert.events.v1', { tenantId: acme.tenantId, alertId: 'nope' });
    const row = fx.addAlert({ tenantId: acme.tenantId, severity: 'INFO', deviceId: acme.device.id });
    await fx.alertEvent(row);
    await eventually(() => sub.received.length === 1, { what: 'the valid event after the bad one' });
    expect(await fx.metric('ump_subscription_invalid_events_total')).toBe(invalidBefore + 1);
  });

  describe('refusals', () => {
    const firstError = async (params: Record<string, unknown>, query: string, variables?: Record<string, unknown>) => {
      const sub = await fx.subscribe(fx.client(params), query, variables);
      await eventually(() => sub.state.done, { what: 'the subscription to fail' });
      return sub.state.error as any;
    };

    it('closes with 4401 without credentials and 4403 with bad ones', async () => {
      expect(await firstError({}, SIMPLE)).toMatchObject({ code: 4401 });
      expect(await firstError({ authorization: 'Bearer not-a-jwt' }, SIMPLE)).toMatchObject({ code: 4403, reason: 'Forbidden: Invalid token' });
      expect(await firstError({ 'x-api-key': 'ump_bogus' }, SIMPLE)).toMatchObject({ code: 4403 });
    });

    it('names the bad field of a filter, as BAD_USER_INPUT', async () => {
      const acme = await fx.tenant();
      const params = { authorization: `Bearer ${await acme.token()}` };
      const literal = await firstError(params, 'subscription { alertEvents(filter: { severityAtLeast: HUGE }) { type } }');
      expect(literal[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'filter.severityAtLeast' } });
      const variable = await firstError(params, 'subscription($f: AlertEventFilter) { alertEvents(filter: $f) { type } }', { f: { types: ['EXPLODED'] } });
      expect(variable[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'filter.types.0' } });
      const id = await firstError(params, 'subscription { alertEvents(filter: { deviceId: "boiler-1" }) { type } }');
      expect(id[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'filter.deviceId' } });
      const unknownField = await firstError(params, 'subscription { alertEvents { type alert { nope } } }');
      expect(unknownField[0]).toMatchObject({ message: expect.stringContaining('nope'), extensions: { code: 'BAD_USER_INPUT' } });
    });

    it('refuses platform admins, who belong to no tenant', async () => {
      const errors = await firstError({ authorization: `Bearer ${await fx.platformAdminToken()}` }, SIMPLE);
      expect(errors[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    });
  });

  it('runs queries sent over the socket through the gateway, tenant scope included', async () => {
    const acme = await fx.tenant();
    const globex = await fx.tenant();
    const row = fx.addAlert({ tenantId: acme.tenantId, severity: 'MAJOR', deviceId: acme.device.id });
    const query = 'query($id: ID!) { alert(id: $id) { severity device { name } } }';
    const own = await fx.subscribe(fx.client({ authorization: `Bearer ${await acme.token()}` }), query, { id: row.id });
    await eventually(() => own.state.done, { what: 'the query to complete' });
    expect(own.received).toEqual([{ data: { alert: { severity: 'MAJOR', device: { name: acme.device.name } } } }]);
    const foreign = await fx.subscribe(fx.client({ authorization: `Bearer ${await globex.token()}` }), query, { id: row.id });
    await eventually(() => foreign.state.done, { what: 'the query to complete' });
    expect(foreign.received[0]!.errors![0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
  });
});

describe('a slow subscriber', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture({ queueSize: 3 });
  });
  afterAll(async () => {
    await fx.close();
  });

  it(`is closed with ${SUBSCRIBER_TOO_SLOW} instead of queueing without bound`, async () => {
    const acme = await fx.tenant();
    const sockets: WebSocket[] = [];
    class Tracked extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        sockets.push(this);
      }
    }
    const client = fx.client({ authorization: `Bearer ${await acme.token()}` }, Tracked as typeof WebSocket);
    const sub = await fx.subscribe(client, 'subscription { alertEvents { alert { evidence } } }');
    const big = fx.addAlert({ tenantId: acme.tenantId, severity: 'MAJOR', deviceId: acme.device.id, evidence: 'x'.repeat(1024 * 1024) });
    await fx.alertEvent(big);
    await eventually(() => sub.received.length === 1, { what: 'the first event' });

    // The client stops reading; the socket's buffers fill, then the subscriber's queue.
    sockets[0]!.pause();
    for (let i = 0; i < 60 && (await fx.metric('ump_subscription_slow_closes_total')) === 0; i++) await fx.alertEvent(big);
    await eventually(async () => (await fx.metric('ump_subscription_slow_closes_total')) === 1, { what: 'the slow close' });
    expect(await fx.metric('ump_subscriptions_active')).toBe(0);

    sockets[0]!.resume();
    await eventually(() => client.closes.length > 0, { what: 'the client to see the close', timeoutMs: 20_000 });
    expect(client.closes[0]).toMatchObject({ code: SUBSCRIBER_TOO_SLOW, reason: expect.stringContaining('subscriber too slow') });
    expect(sub.state.error).toMatchObject({ code: SUBSCRIBER_TOO_SLOW });
  }, 60_000);
});

describe('connection lifetime', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture({ reauthenticateMs: 100 });
  });
  afterAll(async () => {
    await fx.close();
  });

  it('closes a socket with 4403 once its token expires', async () => {
    const acme = await fx.tenant();
    const client = fx.client({ authorization: `Bearer ${await acme.token('VIEWER', 1)}` });
    const sub = await fx.subscribe(client, SIMPLE);
    await eventually(() => client.closes.length > 0, { timeoutMs: 5_000, what: 'the expiry close' });
    expect(client.closes[0]).toMatchObject({ code: 4403, reason: 'Forbidden: Token expired: sign in again' });
    expect(sub.state.done).toBe(true);
    expect(await fx.metric('ump_subscriptions_active')).toBe(0);
  });

  it('stops consuming and closes every socket when the gateway closes', async () => {
    const acme = await fx.tenant();
    const client = fx.client({ authorization: `Bearer ${await acme.token()}` });
    await fx.subscribe(client, SIMPLE);
    await fx.stopGateway();
    await eventually(() => client.closes.length > 0, { what: 'the going-away close' });
    expect(client.closes[0]).toMatchObject({ code: 1001 });
    // The consumer has left the bus: nothing is even counted any more.
    const consumed = await fx.metric('ump_subscription_events_total');
    await fx.alertEvent(fx.addAlert({ tenantId: acme.tenantId, severity: 'MAJOR', deviceId: acme.device.id }));
    await sleep(50);
    expect(await fx.metric('ump_subscription_events_total')).toBe(consumed);
  });
});
