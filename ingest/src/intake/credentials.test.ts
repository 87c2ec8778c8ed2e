import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { createLogger, createMemoryCache, createMetrics, signIdentity, type Cache } from '@ump/core';
import { eventually } from '@ump/core/src/testing/eventually';
import { createDeviceSubgraph } from '@ump/subgraph-device';
import { TELEMETRY_TOPIC } from './mqtt';
import { createTestWorld, postTelemetry, startIntake, type RunningIntake, type TestWorld } from './testkit';

let world: TestWorld;
let running: RunningIntake | undefined;

beforeAll(async () => {
  world = await createTestWorld();
}, 60_000); // a fresh PGlite with every migration takes a few seconds
afterAll(() => world.drop());
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/** Runs a device-subgraph mutation as an operator, the way the gateway would, on `cache`. */
async function asOperator(cache: Cache, query: string, id: string) {
  const secret = randomBytes(32).toString('hex');
  const logger = createLogger({ name: 'device', level: 'silent', format: 'json' });
  const subgraph = createDeviceSubgraph({ prisma: world.prisma, cache, logger, metrics: createMetrics('device'), internalSecret: secret });
  const identity = await signIdentity(secret, { kind: 'user', userId: '00000000-0000-7000-8000-000000000001', tenantId: world.tenantId, role: 'OPERATOR' });
  const response = await subgraph.server.executeOperation({ query, variables: { id } }, { contextValue: await subgraph.context({ 'x-ump-identity': identity }) });
  if (response.body.kind !== 'single' || response.body.singleResult.errors) throw new Error(JSON.stringify(response.body));
  return response.body.singleResult.data as Record<string, { accessToken?: string }>;
}

describe('credential cache', () => {
  test('a known token costs its queries once, then none per message', async () => {
    running = await startIntake(world);
    const device = await world.addDevice();
    world.counter.reset();
    expect((await postTelemetry(running.httpUrl, device.token, { a: 1 })).status).toBe(202);
    const firstLookup = world.counter.count;
    expect(firstLookup).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) expect((await postTelemetry(running.httpUrl, device.token, { i })).status).toBe(202);
    expect(world.counter.count).toBe(firstLookup);
  });

  test('a live MQTT connection reads the credential cache once per re-check interval, not per message', async () => {
    running = await startIntake(world, { config: { credentialRecheckMs: 400 } });
    const device = await world.addDevice();
    const client = await mqtt.connectAsync(running.mqttUrl, { username: device.token, reconnectPeriod: 0 });
    const reads = jest.spyOn(running.cache, 'getJson');
    const startedAt = Date.now();
    for (let i = 0; i < 30; i++) {
      await client.publishAsync(TELEMETRY_TOPIC, JSON.stringify({ i }), { qos: 1 });
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    const intervals = Math.ceil((Date.now() - startedAt) / 400);
    const credentialReads = reads.mock.calls.filter(([key]) => String(key).includes('credential')).length;
    expect(credentialReads).toBeGreaterThanOrEqual(1);
    expect(credentialReads).toBeLessThanOrEqual(intervals);
    await client.endAsync(true);
  });

  test('concurrent first messages share one lookup', async () => {
    running = await startIntake(world);
    const device = await world.addDevice();
    world.counter.reset();
    await postTelemetry(running.httpUrl, device.token, { a: 1 });
    const oneLookup = world.counter.count;
    const other = await world.addDevice();
    world.counter.reset();
    const statuses = await Promise.all(Array.from({ length: 10 }, () => postTelemetry(running!.httpUrl, other.token, { a: 1 })));
    expect(statuses.map((s) => s.status)).toEqual(Array(10).fill(202));
    expect(world.counter.count).toBe(oneLookup);
  });

  test('an unknown token is remembered briefly: retries do not reach the database', async () => {
    running = await startIntake(world);
    world.counter.reset();
    for (let i = 0; i < 10; i++) expect((await postTelemetry(running.httpUrl, 'unknown-token-0123456789', { a: 1 })).status).toBe(401);
    expect(world.counter.count).toBe(1);
  });
});

describe('revocation', () => {
  test('rotateDeviceToken through the device subgraph refuses the old token at once, on HTTP and on live MQTT connections', async () => {
    running = await startIntake(world);
    const device = await world.addDevice();
    const client = await mqtt.connectAsync(running.mqttUrl, { username: device.token, reconnectPeriod: 0 });
    const other = await world.addDevice();
    const bystander = await mqtt.connectAsync(running.mqttUrl, { username: other.token, reconnectPeriod: 0 });
    await client.publishAsync(TELEMETRY_TOPIC, '{"a": 1}', { qos: 1 });
    expect((await postTelemetry(running.httpUrl, device.token, { a: 1 })).status).toBe(202);
    let closedAt = 0;
    client.once('close', () => (closedAt = Date.now()));

    const data = await asOperator(running.cache, `mutation ($id: ID!) { rotateDeviceToken(id: $id) { accessToken } }`, device.deviceId);
    const rotatedAt = Date.now();
    const fresh = data.rotateDeviceToken!.accessToken!;

    expect((await postTelemetry(running.httpUrl, device.token, { a: 2 })).status).toBe(401);
    expect((await postTelemetry(running.httpUrl, fresh, { a: 2 })).status).toBe(202);
    // The revocation is pushed: the connection closes without publishing again, long before
    // its periodic re-check (5 s) would have noticed.
    await eventually(() => closedAt > 0, { timeoutMs: 5_000, intervalMs: 20, what: 'the MQTT connection of the rotated token to close' });
    expect(closedAt - rotatedAt).toBeLessThan(1_000);
    await expect(mqtt.connectAsync(running.mqttUrl, { username: device.token, reconnectPeriod: 0 })).rejects.toMatchObject({ code: 4 });
    // Only that token's connections close.
    await bystander.publishAsync(TELEMETRY_TOPIC, '{"a": 4}', { qos: 1 });
    expect(bystander.connected).toBe(true);
    await bystander.endAsync(true);
    await client.endAsync(true);
  });

  test('a live MQTT connection whose revocation notice was lost closes at its next re-check', async () => {
    running = await startIntake(world, { config: { credentialCacheMs: 300, credentialRecheckMs: 500 } });
    const device = await world.addDevice();
    const client = await mqtt.connectAsync(running.mqttUrl, { username: device.token, reconnectPeriod: 0 });
    await client.publishAsync(TELEMETRY_TOPIC, '{"a": 1}', { qos: 1 });
    let closed = false;
    client.once('close', () => (closed = true));
    const elsewhere = createMemoryCache(); // the subgraph's cache is not the intake's: no notice
    await asOperator(elsewhere, `mutation ($id: ID!) { rotateDeviceToken(id: $id) { accessToken } }`, device.deviceId);
    await elsewhere.close();
    await eventually(() => {
      if (!closed) client.publish(TELEMETRY_TOPIC, '{"a": 2}', { qos: 1 });
      return closed;
    }, { timeoutMs: 5_000, intervalMs: 100, what: 'the connection to close at a re-check' });
    await client.endAsync(true);
  });

  test('deleteDevice through the device subgraph refuses its token at once, on HTTP and on live MQTT connections', async () => {
    running = await startIntake(world);
    const device = await world.addDevice();
    const client = await mqtt.connectAsync(running.mqttUrl, { username: device.token, reconnectPeriod: 0 });
    let closed = false;
    client.once('close', () => (closed = true));
    expect((await postTelemetry(running.httpUrl, device.token, { a: 1 })).status).toBe(202);
    await asOperator(running.cache, `mutation ($id: ID!) { deleteDevice(id: $id) }`, device.deviceId);
    expect((await postTelemetry(running.httpUrl, device.token, { a: 1 })).status).toBe(401);
    await eventually(() => closed, { timeoutMs: 1_000, intervalMs: 20, what: 'the MQTT connection of the deleted device to close' });
    await client.endAsync(true);
  });

  test('without a shared cache the credential TTL bounds how long an old token works', async () => {
    running = await startIntake(world, { config: { credentialCacheMs: 300 } });
    const device = await world.addDevice();
    expect((await postTelemetry(running.httpUrl, device.token, { a: 1 })).status).toBe(202);
    const elsewhere = createMemoryCache(); // the subgraph's cache is not the intake's
    await asOperator(elsewhere, `mutation ($id: ID!) { rotateDeviceToken(id: $id) { accessToken } }`, device.deviceId);
    await elsewhere.close();
    await eventually(async () => (await postTelemetry(running!.httpUrl, device.token, { a: 1 })).status === 401, {
      what: 'the old token to expire from the credential cache',
    });
  });
});
