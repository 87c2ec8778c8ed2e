import mqtt from 'mqtt';
import { eventually } from '@ump/core/src/testing/eventually';
import { postTelemetry } from '@ump/ingest/src/intake/testkit';
import { codes, gql, ok } from './client';
import { eachMode } from './modes';
import { ADMIN, createTenantWithUsers, login, startTestPlatform, type TestPlatform } from './platform';

const CREATE = 'mutation($n: String!) { createDevice(input: { name: $n }) { device { id } accessToken } }';
const READ = `query($id: ID!, $from: DateTime!, $to: DateTime!) {
  device(id: $id) {
    name
    connectivity { online lastSeenAt }
    latest { key value ts }
    series(key: "temperature", from: $from, to: $to, bucket: "1m", agg: AVG) { ts value }
  }
}`;

eachMode('telemetry from devices to the API', (mode) => {
  let p: TestPlatform;
  let t: Awaited<ReturnType<typeof createTenantWithUsers>>;
  beforeAll(async () => {
    p = await startTestPlatform(mode);
    t = await createTenantWithUsers(p.url, await login(p.url, ADMIN.email, ADMIN.password));
  });
  afterAll(() => p?.close());

  const window = (ts: number) => ({ from: new Date(ts - 3_600_000).toISOString(), to: new Date(ts + 3_600_000).toISOString() });

  it('makes a point sent over HTTP readable through the gateway: latest, series and connectivity', async () => {
    const { device, accessToken } = (await ok(p.url, CREATE, { n: 'http-sensor' }, t.OPERATOR)).createDevice;
    const ts = Date.now() - 5_000;
    const sent = await postTelemetry(p.intakeUrl, accessToken, [
      { ts, values: { temperature: 20, door: 'open', ok: true } },
      { ts: ts + 1, values: { temperature: 22 } },
    ]);
    expect({ status: sent.status, body: sent.body }).toEqual({ status: 202, body: { accepted: 2 } });
    const data = await eventually(async () => {
      const d = (await ok(p.url, READ, { id: device.id, ...window(ts) }, t.VIEWER)).device;
      return d.series.length > 0 && d.latest.length === 3 ? d : null;
    }, { timeoutMs: 30_000, what: 'the point to be readable' });
    expect(data.series).toEqual([{ ts: expect.any(String), value: 21 }]);
    expect(Object.fromEntries(data.latest.map((l: any) => [l.key, l.value]))).toEqual({ temperature: 22, door: 'open', ok: true });
    expect(data.connectivity.online).toBe(true);
  });

  it('makes a point published over MQTT readable, with ThingsBoard payloads', async () => {
    const { device, accessToken } = (await ok(p.url, CREATE, { n: 'mqtt-sensor' }, t.OPERATOR)).createDevice;
    const client = await mqtt.connectAsync(p.mqttUrl, { username: accessToken, clientId: `${device.id}-test`, reconnectPeriod: 0 });
    try {
      await client.publishAsync('v1/devices/me/telemetry', JSON.stringify({ temperature: 30 }), { qos: 1 });
    } finally {
      await client.endAsync();
    }
    const latest = await eventually(async () => {
      const d = (await ok(p.url, READ, { id: device.id, ...window(Date.now()) }, t.VIEWER)).device;
      return d.latest.length ? d.latest : null;
    }, { timeoutMs: 30_000, what: 'the MQTT point to be readable' });
    expect(latest).toEqual([{ key: 'temperature', value: 30, ts: expect.any(String) }]);
  });

  it('accepts ThingsBoard\'s token-in-path API and refuses bad tokens and bodies', async () => {
    const { accessToken } = (await ok(p.url, CREATE, { n: 'tb-device' }, t.OPERATOR)).createDevice;
    expect((await postTelemetry(p.intakeUrl, null, { temperature: 25 }, `/api/v1/${accessToken}/telemetry`)).status).toBe(202);
    expect((await postTelemetry(p.intakeUrl, 'wrong-token', { temperature: 25 })).status).toBe(401);
    const nested = await postTelemetry(p.intakeUrl, accessToken, { values: { temperature: { c: 1 } } });
    expect(nested.status).toBe(400);
    expect(String(nested.body.error)).toMatch(/temperature/);
    expect((await postTelemetry(p.intakeUrl, accessToken, '{not json')).status).toBe(400);
  });

  it("never shows one tenant's telemetry to another", async () => {
    const { device, accessToken } = (await ok(p.url, CREATE, { n: 'private-sensor' }, t.OPERATOR)).createDevice;
    await postTelemetry(p.intakeUrl, accessToken, { temperature: 99 });
    await eventually(async () => (await ok(p.url, READ, { id: device.id, ...window(Date.now()) }, t.VIEWER)).device.latest.length > 0, {
      timeoutMs: 30_000,
    });
    const other = await createTenantWithUsers(p.url, await login(p.url, ADMIN.email, ADMIN.password));
    const res = await gql(p.url, READ, { id: device.id, ...window(Date.now()) }, other.TENANT_ADMIN);
    expect(codes(res)).toContain('NOT_FOUND');
    expect(JSON.stringify(res.data ?? {})).not.toContain('99');
    const stats = await ok(p.url, 'query($id: ID!) { tenant(id: $id) { telemetryStats { messages activeDevices } } }', { id: other.tenant.id }, other.TENANT_ADMIN);
    expect(stats.tenant.telemetryStats).toEqual({ messages: 0, activeDevices: 0 });
  });

  it('counts messages and active devices in Tenant.telemetryStats', async () => {
    const stats = await eventually(async () => {
      const s = (await ok(p.url, 'query($id: ID!) { tenant(id: $id) { telemetryStats { messages dataPoints activeDevices } } }', { id: t.tenant.id }, t.VIEWER)).tenant.telemetryStats;
      return s.activeDevices >= 4 ? s : null;
    }, { timeoutMs: 30_000, what: 'stats to count the devices' });
    expect(stats.messages).toBeGreaterThanOrEqual(5);
    expect(stats.dataPoints).toBeGreaterThanOrEqual(stats.messages);
  });

  it('refuses bad series arguments with BAD_USER_INPUT naming the field', async () => {
    const { device } = (await ok(p.url, CREATE, { n: 'args-sensor' }, t.OPERATOR)).createDevice;
    const q = 'query($id: ID!, $b: String!, $from: DateTime!, $to: DateTime!) { device(id: $id) { series(key: "t", from: $from, to: $to, bucket: $b, agg: MAX) { value } } }';
    const span = { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' };
    for (const [bucket, field] of [['7x', 'bucket'], ['2d', 'bucket'], ['1s', 'bucket']] as const) {
      const res = await gql(p.url, q, { id: device.id, b: bucket, ...span }, t.VIEWER);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const backwards = await gql(p.url, q, { id: device.id, b: '1h', from: span.to, to: span.from }, t.VIEWER);
    expect(backwards.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    const stats = 'query($id: ID!, $from: DateTime, $to: DateTime) { tenant(id: $id) { telemetryStats(from: $from, to: $to) { messages } } }';
    const statsBackwards = await gql(p.url, stats, { id: t.tenant.id, from: span.to, to: span.from }, t.VIEWER);
    expect(statsBackwards.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    const statsTooLong = await gql(p.url, stats, { id: t.tenant.id, from: '2020-01-01T00:00:00Z', to: span.to }, t.VIEWER);
    expect(statsTooLong.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });
  });
});
