import mqtt from 'mqtt';
import { telemetryTopic } from '@ump/core';
import { eventually, sleep } from '@ump/core/src/testing/eventually';
import { TELEMETRY_TOPIC } from './mqtt';
import { collect, createTestWorld, postTelemetry, startIntake, type RunningIntake, type TestWorld } from './testkit';

// Admission control against a real aedes broker and HTTP server: a consumer of telemetry.v1
// that stops taking messages, as a writer behind on its inserts would.
let world: TestWorld;
let device: { deviceId: string; token: string };
let running: RunningIntake | undefined;
let releaseConsumer = () => {};

beforeAll(async () => {
  world = await createTestWorld();
  device = await world.addDevice();
}, 60_000);
afterAll(() => world.drop());
afterEach(async () => {
  releaseConsumer();
  await running?.stop();
  running = undefined;
});

/** Subscribes a group that takes one batch and then holds it until `release()`. */
async function stalledConsumer(r: RunningIntake) {
  const held = new Promise<void>((resolve) => (releaseConsumer = resolve));
  await r.bus.subscribe({ topic: telemetryTopic.name, groupId: 'stalled-writer', handleBatch: () => held });
  return { release: releaseConsumer };
}

const overloaded = async (r: RunningIntake) => /ump_intake_overloaded\{service="intake"\} 1\n/.test(await r.metricsText());

describe('intake admission control', () => {
  test('with the bus full, HTTP answers 503 and an MQTT publish waits for its PUBACK until the consumer catches up, losing nothing', async () => {
    running = await startIntake(world, { config: { maxBuffered: 3 } });
    const r = running;
    const consumer = await stalledConsumer(r);
    const everything = await collect(r.bus, telemetryTopic.name);
    for (let i = 0; i < 3; i++) expect((await postTelemetry(r.httpUrl, device.token, { i })).status).toBe(202);

    await eventually(() => overloaded(r), { what: 'the intake to notice the backlog' });
    const refused = await postTelemetry(r.httpUrl, device.token, { refused: 1 });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body.error).toMatch(/overloaded/);
    // Shed before any work: not even the token is looked at.
    expect((await postTelemetry(r.httpUrl, 'not-a-token', { refused: 2 })).status).toBe(503);

    const client = await mqtt.connectAsync(r.mqttUrl, { username: device.token, reconnectPeriod: 0 });
    try {
      let acked = false;
      const publish = client.publishAsync(TELEMETRY_TOPIC, JSON.stringify({ held: 1 }), { qos: 1 }).then(() => (acked = true));
      await eventually(async () => /ump_intake_held_total\{service="intake"\} 1\n/.test(await r.metricsText()));
      // Further publishes stay in the socket: the connection is not read while one waits.
      const queued = [2, 3].map((n) => client.publishAsync(TELEMETRY_TOPIC, JSON.stringify({ held: n }), { qos: 1 }));
      await sleep(300); // an early PUBACK, or a read of the queued publishes, would happen now
      expect(acked).toBe(false);
      expect(await r.metricsText()).toMatch(/ump_intake_held_total\{service="intake"\} 1\n/);
      expect(everything.map((m) => (m.value as { values: object }).values)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);

      consumer.release();
      await Promise.all([publish, ...queued]);
      await eventually(() => everything.length === 6);
      expect(await overloaded(r)).toBe(false);
      expect(everything.slice(3).map((m) => (m.value as { values: object }).values)).toEqual([{ held: 1 }, { held: 2 }, { held: 3 }]);
      expect((await postTelemetry(r.httpUrl, device.token, { after: 1 })).status).toBe(202);
    } finally {
      await client.endAsync(true);
    }
    const metrics = await r.metricsText();
    expect(metrics).toMatch(/ump_intake_rejected_total\{protocol="http",reason="overloaded",service="intake"\} [1-9]/);
    expect(metrics).toMatch(/ump_intake_held_total\{service="intake"\} 1\n/);
  });

  test('below maxBuffered nothing waits', async () => {
    running = await startIntake(world, { config: { maxBuffered: 100 } });
    const r = running;
    await stalledConsumer(r);
    const client = await mqtt.connectAsync(r.mqttUrl, { username: device.token, reconnectPeriod: 0 });
    try {
      for (let i = 0; i < 20; i++) await client.publishAsync(TELEMETRY_TOPIC, JSON.stringify({ i }), { qos: 1 });
    } finally {
      await client.endAsync(true);
    }
    expect(r.bus.buffered(telemetryTopic.name)).toBe(20);
    expect(await r.metricsText()).toMatch(/ump_intake_held_total\{service="intake"\} 0\n/);
  });
});
