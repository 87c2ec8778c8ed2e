import mqtt, { type MqttClient } from 'mqtt';
import { createMemoryBus, deadLetterSchema, telemetryTopic, type EventBus, type IncomingMessage } from '@ump/core';
import { eventually, sleep } from '@ump/core/src/testing/eventually';
import { TELEMETRY_TOPIC } from './mqtt';
import { collect, createTestWorld, startIntake, type RunningIntake, type TestWorld } from './testkit';

let world: TestWorld;
let device: { deviceId: string; token: string };
let running: RunningIntake | undefined;
const clients: MqttClient[] = [];

beforeAll(async () => {
  world = await createTestWorld('enterprise');
  device = await world.addDevice();
}, 60_000);
afterAll(() => world.drop());
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
  await running?.stop();
  running = undefined;
});

/** A connected client that never reconnects on its own (a refusal must stay visible). */
async function connect(url: string, token: string | undefined, clientId?: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { username: token, reconnectPeriod: 0, connectTimeout: 5_000, clientId });
  clients.push(client);
  return client;
}

const closed = (client: MqttClient) => new Promise<void>((resolve) => (client.disconnected ? resolve() : client.once('close', () => resolve())));

describe('MQTT intake', () => {
  test('a QoS 1 publish reaches the bus with tenant, device, messageId and the plan retention', async () => {
    running = await startIntake(world);
    const telemetry = await collect(running.bus, telemetryTopic.name);
    const client = await connect(running.mqttUrl, device.token);
    const ts = Date.now() - 1000;
    await client.publishAsync(TELEMETRY_TOPIC, JSON.stringify([{ ts, values: { t: 1 } }, { on: true }]), { qos: 1 });
    await eventually(() => telemetry.length === 2);
    for (const message of telemetry) {
      expect(telemetryTopic.parse(message.value).ok).toBe(true);
      expect(message.key).toBe(device.deviceId);
      expect(message.value).toMatchObject({ tenantId: world.tenantId, deviceId: device.deviceId, retentionDays: 1825 });
    }
    expect(telemetry.map((m) => (m.value as { values: object }).values)).toEqual([{ t: 1 }, { on: true }]);
    expect((telemetry[0]!.value as { ts: number }).ts).toBe(ts);
    const ids = telemetry.map((m) => (m.value as { messageId: string }).messageId);
    expect(new Set(ids).size).toBe(2);
    expect(await running.metricsText()).toMatch(/ump_intake_accepted_points_total\{protocol="mqtt",service="intake"\} 2/);
  });

  test('CONNECT with an unknown or missing token is refused: bad username or password', async () => {
    running = await startIntake(world);
    await expect(connect(running.mqttUrl, 'not-a-valid-token-123')).rejects.toMatchObject({ code: 4 });
    await expect(connect(running.mqttUrl, undefined)).rejects.toMatchObject({ code: 4 });
  });

  test('a malformed payload is dead-lettered with its reason and the connection stays up', async () => {
    running = await startIntake(world);
    const telemetry = await collect(running.bus, telemetryTopic.name);
    const dlq = await collect(running.bus, 'telemetry.dlq.v1');
    const client = await connect(running.mqttUrl, device.token);
    await client.publishAsync(TELEMETRY_TOPIC, '{"temp": {"nested": 1}}', { qos: 1 });
    await client.publishAsync(TELEMETRY_TOPIC, 'not json', { qos: 1 });
    await eventually(() => dlq.length === 2);
    const letters = dlq.map((m) => deadLetterSchema.parse(m.value));
    expect(letters[0]).toMatchObject({ source: 'mqtt', deviceId: device.deviceId, tenantId: world.tenantId, payload: '{"temp": {"nested": 1}}' });
    expect(letters[0]!.reason).toBe('temp: expected a number, string or boolean, got a nested object');
    expect(letters[1]!.reason).toContain('(root): not valid JSON');
    expect(client.connected).toBe(true);
    await client.publishAsync(TELEMETRY_TOPIC, '{"ok": 1}', { qos: 1 });
    await eventually(() => telemetry.length === 1);
    expect(telemetry[0]!.value).toMatchObject({ values: { ok: 1 } });
  });

  test('publishing to another topic closes the connection; subscriptions are refused', async () => {
    running = await startIntake(world);
    const telemetry = await collect(running.bus, telemetryTopic.name);
    const subscriber = await connect(running.mqttUrl, device.token);
    // SUBACK 0x80 for the topic, which mqtt.js reports as a failed subscribe.
    await expect(subscriber.subscribeAsync(TELEMETRY_TOPIC, { qos: 1 })).rejects.toThrow('Subscribe error');
    const client = await connect(running.mqttUrl, device.token);
    client.publish('v1/devices/other/telemetry', '{"a": 1}', { qos: 0 });
    await closed(client);
    expect(telemetry).toEqual([]);
    expect(await running.metricsText()).toMatch(/ump_intake_rejected_total\{protocol="mqtt",reason="forbidden_topic",service="intake"\} 1/);
  });

  test('client ids are scoped to the device: another device with the same id does not take the session over', async () => {
    running = await startIntake(world);
    const other = await world.addDevice();
    const first = await connect(running.mqttUrl, device.token, 'sensor-1');
    await connect(running.mqttUrl, other.token, 'sensor-1');
    await sleep(100); // settle window: a takeover would close `first` now
    expect(first.connected).toBe(true);
  });

  test('a payload over maxBodyBytes is dead-lettered; a packet far over it closes the connection', async () => {
    running = await startIntake(world, { config: { maxBodyBytes: 1024 } });
    const dlq = await collect(running.bus, 'telemetry.dlq.v1');
    const client = await connect(running.mqttUrl, device.token);
    await client.publishAsync(TELEMETRY_TOPIC, JSON.stringify({ s: 'x'.repeat(2000) }), { qos: 1 });
    await eventually(() => dlq.length === 1);
    expect(deadLetterSchema.parse(dlq[0]!.value).reason).toMatch(/^\(root\): \d+ bytes, at most 1024 are accepted$/);
    client.publish(TELEMETRY_TOPIC, Buffer.alloc(200_000, 0x20), { qos: 0 });
    await closed(client);
    expect(await running.metricsText()).toMatch(/ump_intake_rejected_total\{protocol="mqtt",reason="too_large",service="intake"\} 2/);
  });

  test('PUBACK is sent only after the bus accepted the points', async () => {
    const inner = createMemoryBus();
    const gates: Array<() => void> = [];
    const order: string[] = [];
    // A bus whose telemetry publishes wait until the test releases them.
    const bus: EventBus = {
      ...inner,
      async publish(topic, messages) {
        if (topic === telemetryTopic.name) {
          await new Promise<void>((release) => gates.push(release));
          order.push('bus accepted');
        }
        return inner.publish(topic, messages);
      },
    };
    running = await startIntake(world, { bus });
    const client = await connect(running.mqttUrl, device.token);
    const acked = client.publishAsync(TELEMETRY_TOPIC, '{"a": 1}', { qos: 1 }).then(() => order.push('puback'));
    await eventually(() => gates.length === 1, { what: 'the intake to publish to the bus' });
    await sleep(200); // settle window: an early PUBACK would arrive now
    expect(order).toEqual([]);
    gates[0]!();
    await acked;
    expect(order).toEqual(['bus accepted', 'puback']);
  });

  test('over its rate a device is disconnected', async () => {
    running = await startIntake(world, { config: { rateLimit: { devicePerSecond: 2 } } });
    const received: IncomingMessage[] = await collect(running.bus, telemetryTopic.name);
    const client = await connect(running.mqttUrl, device.token);
    for (let i = 0; i < 10; i++) client.publish(TELEMETRY_TOPIC, JSON.stringify({ i }), { qos: 0 });
    await closed(client);
    expect(received.length).toBeLessThan(10);
    expect(await running.metricsText()).toMatch(/ump_intake_rejected_total\{protocol="mqtt",reason="rate_limited",service="intake"\} [1-9]/);
  });
});
