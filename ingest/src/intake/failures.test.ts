import mqtt from 'mqtt';
import { createMemoryBus, createMemoryCache, telemetryTopic, type Cache, type EventBus } from '@ump/core';
import type { PrismaClient } from '@ump/db';
import { eventually } from '@ump/core/src/testing/eventually';
import { TELEMETRY_TOPIC } from './mqtt';
import { collect, createTestWorld, postTelemetry, startIntake, type RunningIntake, type TestWorld } from './testkit';

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

const down = () => Promise.reject(new Error('down'));

test('database down: HTTP answers 503 with Retry-After, MQTT CONNECT gets "server unavailable"', async () => {
  const broken = { ...world, prisma: { deviceCredential: { findUnique: down } } as unknown as PrismaClient };
  running = await startIntake(broken);
  const response = await postTelemetry(running.httpUrl, 'some-token-0123456789', { a: 1 });
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe('5');
  await expect(mqtt.connectAsync(running.mqttUrl, { username: 'some-token-0123456789', reconnectPeriod: 0 })).rejects.toMatchObject({ code: 3 });
});

test('bus down: HTTP answers 503 and MQTT closes the connection without PUBACK', async () => {
  const inner = createMemoryBus();
  const bus: EventBus = { ...inner, publish: (topic, messages) => (topic === telemetryTopic.name ? down() : inner.publish(topic, messages)) };
  running = await startIntake(world, { bus });
  const device = await world.addDevice();
  expect((await postTelemetry(running.httpUrl, device.token, { a: 1 })).status).toBe(503);
  const client = await mqtt.connectAsync(running.mqttUrl, { username: device.token, reconnectPeriod: 0 });
  let acked = false;
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  client.publish(TELEMETRY_TOPIC, '{"a": 1}', { qos: 1 }, (error) => (acked = !error));
  await closed;
  expect(acked).toBe(false);
  expect(await running.metricsText()).toMatch(/ump_intake_rejected_total\{protocol="mqtt",reason="bus_unavailable",service="intake"\} 1/);
  await client.endAsync(true);
});

test('cache down: telemetry is still accepted (credentials from the database, limits open)', async () => {
  const inner = createMemoryCache();
  const cache: Cache = {
    ...inner,
    get: down,
    set: down,
    getJson: down,
    setJson: down,
    incrWindow: down,
    close: () => inner.close(),
  };
  running = await startIntake(world, { cache });
  const telemetry = await collect(running.bus, telemetryTopic.name);
  const device = await world.addDevice();
  expect((await postTelemetry(running.httpUrl, device.token, { a: 1 })).status).toBe(202);
  await eventually(() => telemetry.length === 1);
});
