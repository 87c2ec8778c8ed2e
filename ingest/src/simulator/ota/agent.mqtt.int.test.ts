// The OTA agent over the real MQTT transport: an aedes broker on a free port plays the
// intake's downlink (pending assignment right after the SUBACK, live pushes), a node:http
// stand-in serves the firmware.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { Aedes, Client } from 'aedes';
import type { SimDevice } from '../provision';
import { createMqttTransport } from '../transports/mqtt';
import type { DeviceLink } from '../transports/transport';
import { createOtaAgent, type OtaAgent } from './agent';
import { createDownloader, type Downloader } from './download';
import { DeviceFirmware } from './firmware';
import { OTA_DOWNLINK_TOPIC, OTA_STATUS_TOPIC, type OtaAssignment, type OtaStatusReport } from './protocol';
import { startFakeIntake, waitFor, type FakeIntake } from './testkit';

// aedes is ESM-only and Jest's CommonJS runtime turns a literal import() into require().
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<typeof import('aedes')>;
const never = new AbortController().signal;

describe('OTA agent over MQTT', () => {
  let broker: Aedes;
  let server: net.Server;
  let url = '';
  let intake: FakeIntake;
  let downloader: Downloader;
  const tokenOf = new Map<string, string>();
  const clients = new Map<string, Client>();
  const pending = new Map<string, OtaAssignment>();
  const reports = new Map<string, OtaStatusReport[]>();
  const statusQos: number[] = [];
  const running: Array<{ agent: OtaAgent; link: DeviceLink }> = [];

  const push = (token: string, message: OtaAssignment) => {
    const client = [...clients.values()].find((c) => tokenOf.get(c.id) === token)!;
    client.publish({ cmd: 'publish', topic: OTA_DOWNLINK_TOPIC, payload: Buffer.from(JSON.stringify(message)), qos: 1, retain: false, dup: false }, () => undefined);
  };

  beforeAll(async () => {
    intake = await startFakeIntake();
    downloader = createDownloader({ baseUrl: intake.url, retryBaseMs: 5 });
    const { Aedes } = await importModule('aedes');
    broker = await Aedes.createBroker({
      authenticate: (client, username, _password, done) => {
        tokenOf.set(client.id, username!);
        done(null, true);
      },
      authorizePublish: (client, packet, done) => {
        if (packet.topic === OTA_STATUS_TOPIC) {
          const token = tokenOf.get(client!.id)!;
          reports.set(token, [...(reports.get(token) ?? []), JSON.parse(packet.payload.toString()) as OtaStatusReport]);
          statusQos.push(packet.qos);
        }
        done(null);
      },
    });
    broker.on('client', (client) => clients.set(client.id, client));
    // As the intake does: the pending assignment right after the subscription is granted.
    broker.on('subscribe', (subscriptions, client) => {
      const message = pending.get(tokenOf.get(client.id)!);
      if (message && subscriptions.some((s) => s.topic === OTA_DOWNLINK_TOPIC)) push(tokenOf.get(client.id)!, message);
    });
    server = net.createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  afterEach(async () => {
    for (const { agent, link } of running.splice(0)) {
      await agent.stop();
      await link.close();
    }
  });
  afterAll(async () => {
    downloader.close();
    await intake.close();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise((resolve) => server.close(resolve));
  });

  async function start(device: SimDevice) {
    const link = await createMqttTransport({ url }).connect(device, never);
    const firmware = new DeviceFirmware({ title: 'ump-sim', version: '1.0.0' });
    const agent = createOtaAgent({ device, firmware, link: link.ota!, downloader, installMs: 10 });
    running.push({ agent, link });
    await agent.start();
    return { firmware, agent, reports: () => reports.get(device.token) ?? [] };
  }

  it('takes the assignment the intake sends on subscribe and reports every step on the status topic with QoS 1', async () => {
    const device: SimDevice = { index: 1, id: 'id-1', name: 'sim-m1', token: 'mqtt-1' };
    const fw = intake.addFirmware({ title: 'ump-sim', version: '2.0.0', bytes: randomBytes(150_000) });
    pending.set(device.token, { type: 'UPDATE', commandId: 'c-1', firmware: fw });
    const { firmware, reports } = await start(device);

    await waitFor(() => firmware.version === '2.0.0', 'the update');
    await waitFor(() => reports().some((r) => r.status === 'UPDATED' && r.commandId === 'c-1'), 'UPDATED');
    const order = reports().map((r) => r.status).filter((s, i, all) => s !== all[i - 1]);
    expect(order).toEqual(['UPDATED', 'QUEUED', 'DOWNLOADING', 'DOWNLOADED', 'VERIFYING', 'UPDATING', 'UPDATED']);
    expect(reports()[0]).toMatchObject({ status: 'UPDATED', title: 'ump-sim', version: '1.0.0' });
    expect(reports().at(-1)).toMatchObject({ commandId: 'c-1', firmwareId: fw.id, title: 'ump-sim', version: '2.0.0' });
    expect(new Set(statusQos)).toEqual(new Set([1]));
  });

  it('stops on a CANCEL pushed live, mid-download', async () => {
    const device: SimDevice = { index: 2, id: 'id-2', name: 'sim-m2', token: 'mqtt-2' };
    const { firmware, agent, reports } = await start(device);
    const fw = intake.addFirmware({ title: 'ump-sim', version: '2.1.0', bytes: randomBytes(150_000) });
    intake.stall(fw.id, 80_000);
    push(device.token, { type: 'UPDATE', commandId: 'c-2', firmware: fw });
    await waitFor(() => reports().some((r) => r.status === 'DOWNLOADING' && r.progress! > 0), 'download progress');

    push(device.token, { type: 'CANCEL', commandId: 'c-2' });
    await waitFor(() => agent.state().outcome === 'CANCELLED', 'the cancel');
    // A redelivered UPDATE (say after a reconnect) is ignored; the announcement of a next command proves the order.
    push(device.token, { type: 'UPDATE', commandId: 'c-2', firmware: fw });
    const next = intake.addFirmware({ title: 'ump-sim', version: '2.1.1', bytes: randomBytes(1_000) });
    push(device.token, { type: 'UPDATE', commandId: 'c-3', firmware: next });
    await waitFor(() => firmware.version === '2.1.1', 'the next update');
    expect(reports().filter((r) => r.commandId === 'c-2').map((r) => r.status)).not.toContain('DOWNLOADED');
    expect(reports().filter((r) => r.commandId === 'c-2' && r.status === 'QUEUED')).toHaveLength(1);
  });
});
