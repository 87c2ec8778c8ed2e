import mqtt from 'mqtt';
import { createMemoryCache, deviceEventsTopic, type Cache } from '@ump/core';
import { deviceLastSeenKey } from '@ump/core';
import { eventually, sleep } from '@ump/core/src/testing/eventually';
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

/** A cache that counts writes per key, to check the last-seen write throttle. */
function countingCache(): { cache: Cache; writes: (key: string) => number } {
  const inner = createMemoryCache();
  const counts = new Map<string, number>();
  const cache: Cache = {
    ...inner,
    async set(key, value, options) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return inner.set(key, value, options);
    },
  };
  return { cache, writes: (key) => counts.get(key) ?? 0 };
}

const events = (messages: { value: unknown }[], deviceId: string) =>
  messages.map((m) => m.value as { type: string; deviceId: string }).filter((e) => e.deviceId === deviceId).map((e) => e.type);

test('online on the first message, offline after the profile timeout, online again on the next', async () => {
  running = await startIntake(world, { config: { sweepIntervalMs: 100 } });
  const seen = await collect(running.bus, deviceEventsTopic.name);
  const device = await world.addDevice({ inactivityTimeoutSeconds: 1 });

  const before = Date.now();
  expect((await postTelemetry(running.httpUrl, device.token, { a: 1 })).status).toBe(202);
  await eventually(() => events(seen, device.deviceId).length === 1);
  const online = seen[0]!;
  expect(deviceEventsTopic.parse(online.value).ok).toBe(true);
  expect(online.key).toBe(device.deviceId);
  expect(online.value).toMatchObject({ type: 'online', tenantId: world.tenantId, deviceId: device.deviceId });
  const lastSeen = Number(await running.cache.get(deviceLastSeenKey(device.deviceId)));
  expect(lastSeen).toBeGreaterThanOrEqual(before);

  await eventually(() => events(seen, device.deviceId).length === 2, { what: 'the offline event' });
  const offline = seen[1]!.value as { type: string; lastSeenAt: number; at: number };
  expect(offline.type).toBe('offline');
  expect(offline.at - offline.lastSeenAt).toBeGreaterThan(1000);

  expect((await postTelemetry(running.httpUrl, device.token, { a: 2 })).status).toBe(202);
  await eventually(() => events(seen, device.deviceId).length === 3);
  expect(events(seen, device.deviceId)).toEqual(['online', 'offline', 'online']);
});

test('a device that keeps sending stays online, and its last-seen key is written at most once a second', async () => {
  const { cache, writes } = countingCache();
  running = await startIntake(world, { cache, config: { sweepIntervalMs: 100 } });
  const seen = await collect(running.bus, deviceEventsTopic.name);
  const device = await world.addDevice({ inactivityTimeoutSeconds: 1 });
  const client = await mqtt.connectAsync(running.mqttUrl, { username: device.token, reconnectPeriod: 0 });
  const started = Date.now();
  // The device's own pace: a message every 100 ms for twice its timeout.
  for (let i = 0; i < 20; i++) {
    await client.publishAsync(TELEMETRY_TOPIC, '{"a": 1}', { qos: 1 });
    await sleep(100);
  }
  await running.intake.stop(); // waits for pending connectivity work
  await sleep(50); // settle window for the bus to deliver a (wrong) offline event
  expect(events(seen, device.deviceId)).toEqual(['online']);
  const elapsedSeconds = (Date.now() - started) / 1000;
  expect(writes(deviceLastSeenKey(device.deviceId))).toBeLessThanOrEqual(Math.ceil(elapsedSeconds) + 1);
  await client.endAsync(true);
});

test('an intake restart does not re-announce a device the shared cache shows online', async () => {
  const cache = createMemoryCache();
  const device = await world.addDevice({ inactivityTimeoutSeconds: 60 });
  await cache.set(deviceLastSeenKey(device.deviceId), String(Date.now() - 5_000));
  running = await startIntake(world, { cache });
  const seen = await collect(running.bus, deviceEventsTopic.name);
  const telemetry = await collect(running.bus, 'telemetry.v1');
  expect((await postTelemetry(running.httpUrl, device.token, { a: 1 })).status).toBe(202);
  await eventually(() => telemetry.length === 1);
  await running.intake.stop(); // waits for pending connectivity work
  await sleep(50); // settle window for the bus to deliver a (wrong) online event
  expect(Number(await cache.get(deviceLastSeenKey(device.deviceId)))).toBeGreaterThan(Date.now() - 2_000);
  expect(events(seen, device.deviceId)).toEqual([]);
});
