import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { alertSignalsTopic, type AlertSignal } from '@ump/core';
import { eventually, sleep } from '@ump/core/src/testing/eventually';
import { postTelemetry } from '@ump/ingest/src/intake/testkit';
import { ok, type Credentials } from './client';
import { eachMode } from './modes';
import { ADMIN, createTenantWithUsers, login, startTestPlatform, type TestPlatform } from './platform';

// One selection over three subgraphs: alert (Alert, AlertRule, Ticket), device
// (Device.name, labels) and analytics (Device.latest).
const WATCH = `subscription Watch($f: AlertEventFilter) {
  alertEvents(filter: $f) {
    type
    at
    alert { id severity status device { name labels latest { key value } } rule { name } ticket { id slaDueAt } }
  }
}`;
const CREATE_RULE = 'mutation($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { id } }';

eachMode('live alert subscriptions through the gateway', (mode) => {
  let p: TestPlatform;
  const clients: Client[] = [];
  beforeAll(async () => {
    p = await startTestPlatform(mode);
  }, 120_000);
  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await p?.close();
  });

  const wsUrl = () => p.url.replace(/^http/, 'ws');
  function subscribe(credentials: Credentials, query: string, variables?: Record<string, unknown>) {
    const client = createClient({ url: wsUrl(), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${credentials.token}` }, retryAttempts: 0 });
    clients.push(client);
    const received: any[] = [];
    const state: { error?: unknown } = {};
    client.subscribe({ query, variables }, { next: (v) => void received.push(v), error: (e) => (state.error = e), complete: () => {} });
    return { received, state };
  }
  // The server keeps no visible "subscribed" state: wait until a probe event would have been
  // seen by polling the gateway's metric of live subscriptions.
  const activeSubscriptions = async () => {
    const text = await (await fetch(p.url.replace('/graphql', '/metrics'))).text();
    return [...text.matchAll(/^ump_subscriptions_active\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  };

  it('pushes a raised alert with fields of three subgraphs to its tenant only, filters applied', async () => {
    const admin = await login(p.url, ADMIN.email, ADMIN.password);
    const t = await createTenantWithUsers(p.url, admin);
    const other = await createTenantWithUsers(p.url, admin);
    const created = (await ok(p.url, 'mutation { createDevice(input: { name: "boiler-7", labels: ["site=berlin"] }) { device { id } accessToken } }', {}, t.OPERATOR)).createDevice;
    const device = created.device;
    expect((await postTelemetry(p.intakeUrl, created.accessToken, { temperature: 35 })).status).toBe(202);
    await eventually(async () => (await ok(p.url, 'query($id: ID!) { device(id: $id) { latest { key } } }', { id: device.id }, t.VIEWER)).device.latest.length > 0, {
      timeoutMs: 20_000,
      what: 'the telemetry to land',
    });
    const rule = (await ok(p.url, CREATE_RULE, { i: { name: 'too hot', severity: 'MAJOR', deviceId: device.id, condition: { key: 'temperature', op: 'GT', value: 30 } } }, t.OPERATOR)).createAlertRule;

    const before = await activeSubscriptions();
    const mine = subscribe(t.VIEWER, WATCH);
    const onlyCritical = subscribe(t.VIEWER, WATCH, { f: { severityAtLeast: 'CRITICAL' } });
    const acked = subscribe(t.VIEWER, WATCH, { f: { types: ['ACKNOWLEDGED'] } });
    const theirs = subscribe(other.VIEWER, WATCH);
    await eventually(async () => (await activeSubscriptions()) === before + 4, { timeoutMs: 10_000, what: 'four live subscriptions' });

    const at = Date.now();
    const signal: AlertSignal = {
      signalId: `${rule.id}:${device.id}:firing:${at}`,
      type: 'firing',
      tenantId: t.tenant.id,
      ruleId: rule.id,
      deviceId: device.id,
      severity: 'MAJOR',
      at,
      evidence: { key: 'temperature', value: 35, threshold: '> 30', text: 'temperature 35 > 30' },
    };
    await p.platform.eventBus.publish(alertSignalsTopic.name, [{ key: device.id, value: signal }]);

    await eventually(() => mine.received.length >= 1, { timeoutMs: 20_000, what: 'the RAISED event' });
    const raised = mine.received[0];
    expect(raised.errors).toBeUndefined();
    expect(raised.data.alertEvents).toMatchObject({
      type: 'RAISED',
      alert: {
        severity: 'MAJOR',
        status: 'ACTIVE_UNACK',
        device: { name: 'boiler-7', labels: ['site=berlin'], latest: [{ key: 'temperature', value: 35 }] },
        rule: { name: 'too hot' },
      },
    });
    expect(Date.parse(raised.data.alertEvents.at)).toBeGreaterThan(0);

    // The filtered subscriber hears only the acknowledgement.
    await ok(p.url, 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }', { id: raised.data.alertEvents.alert.id }, t.OPERATOR);
    await eventually(() => acked.received.length === 1, { timeoutMs: 20_000, what: 'the ACKNOWLEDGED event' });
    expect(acked.received[0].data.alertEvents).toMatchObject({ type: 'ACKNOWLEDGED', alert: { status: 'ACTIVE_ACK' } });
    await eventually(() => mine.received.length >= 2, { timeoutMs: 20_000, what: 'the second event for the unfiltered subscriber' });

    await sleep(200);
    expect(onlyCritical.received).toEqual([]);
    expect(theirs.received).toEqual([]);
    expect([mine.state.error, onlyCritical.state.error, acked.state.error, theirs.state.error]).toEqual([undefined, undefined, undefined, undefined]);
  }, 90_000);
});
