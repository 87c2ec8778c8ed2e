import mqtt, { type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import {
  createMemoryBus,
  deadLetterSchema,
  otaCommandsTopic,
  otaStatusTopic,
  type ArtifactStore,
  type EventBus,
  type OtaCommand,
} from '@ump/core';
import { eventually, sleep } from '@ump/core/src/testing/eventually';
import { collect, createTestWorld, startIntake, type RunningIntake, type TestWorld } from '../testkit';
import { OTA_DOWNLINK_TOPIC, OTA_STATUS_TOPIC } from './protocol';
import { addFirmware, assign, createTempArtifacts, newCommandId, type TestFirmware } from './testkit';

let world: TestWorld;
let artifacts: ArtifactStore;
let removeArtifacts: () => Promise<void>;
let running: RunningIntake | undefined;
const clients: MqttClient[] = [];

beforeAll(async () => {
  world = await createTestWorld('free');
  ({ artifacts, remove: removeArtifacts } = await createTempArtifacts());
}, 60_000);
afterAll(async () => {
  await world.drop();
  await removeArtifacts();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
  await running?.stop();
  running = undefined;
});

interface Device {
  deviceId: string;
  token: string;
  tenantId: string;
}

async function addDevice(): Promise<Device> {
  return { ...(await world.addDevice()), tenantId: world.tenantId };
}

/** A connected client that records what it receives on the downlink, and never reconnects. */
async function connect(url: string, token: string) {
  const client = await mqtt.connectAsync(url, { username: token, reconnectPeriod: 0, connectTimeout: 5_000 });
  clients.push(client);
  const received: Array<Record<string, unknown>> = [];
  client.on('message', (topic, payload) => {
    if (topic === OTA_DOWNLINK_TOPIC) received.push(JSON.parse(payload.toString()) as Record<string, unknown>);
  });
  return { client, received };
}

const closed = (client: MqttClient) => new Promise<void>((resolve) => (client.disconnected ? resolve() : client.once('close', () => resolve())));

function command(device: Device, firmware: TestFirmware, fields: Partial<OtaCommand> = {}): OtaCommand {
  const { id, title, version, size, sha256 } = firmware;
  return {
    commandId: newCommandId(),
    type: 'UPDATE',
    tenantId: device.tenantId,
    deviceId: device.deviceId,
    firmware: { id, title, version, size, sha256 },
    at: Date.now(),
    ...fields,
  };
}

const publishCommand = (bus: EventBus, value: OtaCommand) => bus.publish(otaCommandsTopic.name, [{ key: value.deviceId, value }]);

const updateOf = (value: OtaCommand) => ({
  type: 'UPDATE',
  commandId: value.commandId,
  firmware: { ...value.firmware, url: `/api/v1/ota/firmware/${value.firmware.id}` },
});

describe('MQTT downlink v1/devices/me/ota', () => {
  test('the pending assignment right after SUBSCRIBE, then the commands for this device only', async () => {
    running = await startIntake(world, { artifacts });
    const device = await addDevice();
    const other = await addDevice();
    const firmware = await addFirmware(world.prisma, artifacts, world.tenantId);
    const commandId = newCommandId();
    await assign(world.prisma, device, { targetFirmwareId: firmware.id, commandId });

    const mine = await connect(running.mqttUrl, device.token);
    const theirs = await connect(running.mqttUrl, other.token);
    const granted = await mine.client.subscribeAsync(OTA_DOWNLINK_TOPIC, { qos: 1 });
    expect(granted).toEqual([expect.objectContaining({ topic: OTA_DOWNLINK_TOPIC, qos: 1 })]);
    await theirs.client.subscribeAsync(OTA_DOWNLINK_TOPIC, { qos: 0 });
    await eventually(() => mine.received.length === 1, { what: 'the pending assignment' });
    expect(mine.received[0]).toEqual({
      type: 'UPDATE',
      commandId,
      firmware: {
        id: firmware.id,
        title: firmware.title,
        version: firmware.version,
        size: firmware.size,
        sha256: firmware.sha256,
        url: `/api/v1/ota/firmware/${firmware.id}`,
      },
    });

    const forOther = command(other, firmware);
    const update = command(device, firmware);
    const cancel = command(device, firmware, { type: 'CANCEL' });
    await publishCommand(running.bus, forOther);
    await publishCommand(running.bus, update);
    await publishCommand(running.bus, cancel);
    await eventually(() => mine.received.length === 3, { what: 'the pushed commands' });
    expect(mine.received.slice(1)).toEqual([updateOf(update), { type: 'CANCEL', commandId: cancel.commandId }]);
    await eventually(() => theirs.received.length === 1);
    expect(theirs.received).toEqual([updateOf(forOther)]);
    expect(await running.metricsText()).toMatch(/ump_intake_ota_commands_total\{type="UPDATE",outcome="delivered",service="intake"\} 2/);
  });

  test("a command naming the device under another tenant, or an invalid one, is not delivered", async () => {
    running = await startIntake(world, { artifacts });
    const device = await addDevice();
    const firmware = await addFirmware(world.prisma, artifacts, world.tenantId);
    const { client, received } = await connect(running.mqttUrl, device.token);
    await client.subscribeAsync(OTA_DOWNLINK_TOPIC, { qos: 1 });
    await publishCommand(running.bus, command(device, firmware, { tenantId: randomUUID() }));
    await running.bus.publish(otaCommandsTopic.name, [{ key: device.deviceId, value: { type: 'UPDATE', deviceId: device.deviceId } }]);
    const last = command(device, firmware);
    await publishCommand(running.bus, last);
    // Commands of one device keep their order, so once the last is in, the others were skipped.
    await eventually(() => received.length === 1);
    expect(received).toEqual([updateOf(last)]);
    expect(await running.metricsText()).toMatch(/ump_intake_ota_commands_total\{type="unknown",outcome="invalid",service="intake"\} 1/);
  });

  test('no pending assignment: nothing until a command; after UNSUBSCRIBE nothing more', async () => {
    running = await startIntake(world, { artifacts });
    const device = await addDevice();
    const firmware = await addFirmware(world.prisma, artifacts, world.tenantId);
    const { client, received } = await connect(running.mqttUrl, device.token);
    await client.subscribeAsync(OTA_DOWNLINK_TOPIC, { qos: 0 });
    const first = command(device, firmware);
    await publishCommand(running.bus, first);
    await eventually(() => received.length === 1);
    expect(received).toEqual([updateOf(first)]);
    await client.unsubscribeAsync(OTA_DOWNLINK_TOPIC);
    await publishCommand(running.bus, command(device, firmware));
    await sleep(100); // settle window: a delivery after unsubscribe would arrive now
    expect(received).toHaveLength(1);
  });

  test("subscribing to anything but the device's own downlink is refused", async () => {
    running = await startIntake(world, { artifacts });
    const device = await addDevice();
    const other = await addDevice();
    const { client } = await connect(running.mqttUrl, device.token);
    for (const topic of [`v1/devices/${other.deviceId}/ota`, 'v1/devices/+/ota', 'v1/devices/me/ota/#', 'v1/devices/me/#', '#', OTA_STATUS_TOPIC]) {
      // SUBACK 0x80 for the topic, which mqtt.js reports as a failed subscribe.
      await expect(client.subscribeAsync(topic, { qos: 1 })).rejects.toThrow('Subscribe error');
    }
    expect(client.connected).toBe(true);
  });

  test('a device publishing to the downlink topic is disconnected, and no other device receives it', async () => {
    running = await startIntake(world, { artifacts });
    const device = await addDevice();
    const victim = await connect(running.mqttUrl, (await addDevice()).token);
    await victim.client.subscribeAsync(OTA_DOWNLINK_TOPIC, { qos: 1 });
    const { client } = await connect(running.mqttUrl, device.token);
    client.publish(OTA_DOWNLINK_TOPIC, JSON.stringify({ type: 'UPDATE', commandId: 'evil' }), { qos: 0 });
    await closed(client);
    await sleep(100); // settle window: a routed copy would arrive now
    expect(victim.received).toEqual([]);
    expect(await running.metricsText()).toMatch(/ump_intake_rejected_total\{protocol="mqtt",reason="forbidden_topic",service="intake"\} 1/);
  });
});

test('a persistent session gets the pending assignment and commands on reconnecting, without a new SUBSCRIBE', async () => {
  running = await startIntake(world, { artifacts });
  const device = await addDevice();
  const firmware = await addFirmware(world.prisma, artifacts, world.tenantId);
  const options = { username: device.token, clientId: 'persistent-1', clean: false, reconnectPeriod: 0, connectTimeout: 5_000 };
  const first = await mqtt.connectAsync(running.mqttUrl, options);
  await first.subscribeAsync(OTA_DOWNLINK_TOPIC, { qos: 1 });
  await first.endAsync();
  const commandId = newCommandId();
  await assign(world.prisma, device, { targetFirmwareId: firmware.id, commandId });

  const again = await mqtt.connectAsync(running.mqttUrl, options);
  clients.push(again);
  const received: Array<Record<string, unknown>> = [];
  again.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString()) as Record<string, unknown>));
  await eventually(() => received.length === 1, { what: 'the pending assignment' });
  expect(received[0]).toMatchObject({ type: 'UPDATE', commandId });
  const cancel = command(device, firmware, { type: 'CANCEL', commandId });
  await publishCommand(running.bus, cancel);
  await eventually(() => received.length === 2);
  expect(received[1]).toEqual({ type: 'CANCEL', commandId });
});

describe('MQTT status v1/devices/me/ota/status', () => {
  test('a QoS 1 report lands on ota.status.v1 with tenant and device from the token', async () => {
    running = await startIntake(world, { artifacts });
    const statuses = await collect(running.bus, otaStatusTopic.name);
    const device = await addDevice();
    const other = await addDevice();
    const { client } = await connect(running.mqttUrl, device.token);
    const ts = Date.now() - 1_000;
    await client.publishAsync(
      OTA_STATUS_TOPIC,
      JSON.stringify({ commandId: 'cmd-1', status: 'FAILED', reason: 'checksum mismatch', ts, deviceId: other.deviceId }),
      { qos: 1 },
    );
    // PUBACK comes after the bus accepted, so the message is there already.
    expect(statuses).toHaveLength(1);
    const parsed = otaStatusTopic.parse(statuses[0]!.value);
    expect(parsed).toMatchObject({
      ok: true,
      value: { tenantId: world.tenantId, deviceId: device.deviceId, commandId: 'cmd-1', status: 'FAILED', reason: 'checksum mismatch', at: ts },
    });
    expect(statuses[0]!.key).toBe(device.deviceId);
  });

  test('a malformed report is dead-lettered with its reason, not forwarded, and the connection stays up', async () => {
    running = await startIntake(world, { artifacts });
    const statuses = await collect(running.bus, otaStatusTopic.name);
    const dlq = await collect(running.bus, 'ota.status.dlq.v1');
    const device = await addDevice();
    const { client } = await connect(running.mqttUrl, device.token);
    await client.publishAsync(OTA_STATUS_TOPIC, '{"commandId": "c1", "status": "DOWNLOADING", "progress": "half"}', { qos: 1 });
    await client.publishAsync(OTA_STATUS_TOPIC, 'not json', { qos: 1 });
    await eventually(() => dlq.length === 2);
    const letters = dlq.map((message) => deadLetterSchema.parse(message.value));
    expect(letters[0]).toMatchObject({ source: 'mqtt', tenantId: world.tenantId, deviceId: device.deviceId });
    expect(letters[0]!.reason).toMatch(/^progress: /);
    expect(letters[0]!.payload).toBe('{"commandId": "c1", "status": "DOWNLOADING", "progress": "half"}');
    expect(letters[1]!.reason).toBe('(root): not valid JSON');
    expect(statuses).toEqual([]);
    expect(client.connected).toBe(true);
    await client.publishAsync(OTA_STATUS_TOPIC, '{"commandId": "c1", "status": "DOWNLOADED"}', { qos: 1 });
    expect(statuses).toHaveLength(1);
    expect(await running.metricsText()).toMatch(/ump_intake_ota_status_total\{protocol="mqtt",outcome="malformed",service="intake"\} 2/);
  });

  test('PUBACK is sent only after the bus accepted the report', async () => {
    const inner = createMemoryBus();
    const gates: Array<() => void> = [];
    const order: string[] = [];
    // A bus whose ota.status.v1 publishes wait until the test releases them.
    const bus: EventBus = {
      ...inner,
      async publish(topic, messages) {
        if (topic === otaStatusTopic.name) {
          await new Promise<void>((release) => gates.push(release));
          order.push('bus accepted');
        }
        return inner.publish(topic, messages);
      },
    };
    running = await startIntake(world, { bus, artifacts });
    const device = await addDevice();
    const { client } = await connect(running.mqttUrl, device.token);
    const acked = client.publishAsync(OTA_STATUS_TOPIC, '{"commandId": "c1", "status": "QUEUED"}', { qos: 1 }).then(() => order.push('puback'));
    await eventually(() => gates.length === 1, { what: 'the intake to publish to the bus' });
    await sleep(200); // settle window: an early PUBACK would arrive now
    expect(order).toEqual([]);
    gates[0]!();
    await acked;
    expect(order).toEqual(['bus accepted', 'puback']);
  });
});
