// The real transports against local stand-ins for the intake: a node:http server and an aedes
// broker on free ports, speaking the device protocol the intake implements.
import http from 'node:http';
import net from 'node:net';
import type { Aedes } from 'aedes';
import type { SimDevice } from '../provision';
import { createDeviceSignal, nextMessage } from '../telemetry';
import { createHttpTransport } from './http';
import { createMqttTransport, TELEMETRY_TOPIC } from './mqtt';
import { SendError } from './transport';

// aedes is ESM-only and Jest's CommonJS runtime turns a literal import() into require().
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<typeof import('aedes')>;

const device = (token: string): SimDevice => ({ index: 1, id: 'id-1', name: `sim-${token}`, token });
const message = () => nextMessage(createDeviceSignal({ seed: 1, keys: ['temperature', 'seq'] }), Date.now(), 1_000);
const never = new AbortController().signal;

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('HTTP transport', () => {
  const requests: Array<{ headers: http.IncomingHttpHeaders; url?: string; body: unknown }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      requests.push({ headers: req.headers, url: req.url, body: JSON.parse(body) });
      if (req.headers.authorization === 'Bearer slow') return; // never answers
      const ok = req.headers.authorization === 'Bearer good';
      res.writeHead(ok ? 202 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { accepted: 1 } : { error: 'no' }));
    });
  });
  let baseUrl = '';
  beforeAll(async () => void (baseUrl = `http://127.0.0.1:${await listen(server)}`));
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('POSTs the point with the device token and resolves on 202', async () => {
    const transport = createHttpTransport({ baseUrl });
    const link = await transport.connect(device('good'), never);
    const sent = message();
    await link.send(sent);
    expect(requests.at(-1)).toMatchObject({ url: '/api/v1/telemetry', headers: { authorization: 'Bearer good', 'content-type': 'application/json' } });
    expect(requests.at(-1)!.body).toEqual(sent.payload);
    await transport.close();
  });

  it('rejects with http-<status> and with timeout', async () => {
    const transport = createHttpTransport({ baseUrl, timeoutMs: 50 });
    await expect((await transport.connect(device('bad'), never)).send(message())).rejects.toMatchObject({ reason: 'http-401' });
    await expect((await transport.connect(device('slow'), never)).send(message())).rejects.toMatchObject({ reason: 'timeout' });
    await transport.close();
  });

  it('rejects with network:<code> when nothing listens', async () => {
    const transport = createHttpTransport({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
    await expect((await transport.connect(device('good'), never)).send(message())).rejects.toMatchObject({ reason: 'network:ECONNREFUSED' });
    await transport.close();
  });
});

describe('MQTT transport', () => {
  let broker: Aedes;
  let server: net.Server;
  let url = '';
  const published: Array<{ clientId: string; topic: string; payload: unknown }> = [];
  let connects = 0;
  const serverSide = new Map<string, { close(): void }>();

  beforeAll(async () => {
    const { Aedes } = await importModule('aedes');
    broker = await Aedes.createBroker({
      authenticate: (_client, username, _password, done) => {
        connects += 1;
        if (username === 'good') return done(null, true);
        done(Object.assign(new Error('bad token'), { returnCode: 4 }) as never, false);
      },
      authorizePublish: (client, packet, done) => {
        published.push({ clientId: client!.id, topic: packet.topic, payload: JSON.parse(packet.payload.toString()) });
        done(null);
      },
    });
    broker.on('client', (client) => serverSide.set(client.id, client));
    server = net.createServer(broker.handle);
    url = `mqtt://127.0.0.1:${await listen(server)}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise((resolve) => server.close(resolve));
  });

  it('connects with the token as username and resolves a QoS 1 publish on PUBACK', async () => {
    const transport = createMqttTransport({ url });
    const link = await transport.connect(device('good'), never);
    expect(link.isConnected()).toBe(true);
    const sent = message();
    await link.send(sent);
    expect(published.at(-1)).toEqual({ clientId: 'sim-good', topic: TELEMETRY_TOPIC, payload: sent.payload });
    await link.close();
    expect(link.isConnected()).toBe(false);
  });

  it('reconnects by itself after the broker dropped the connection, and delivers what waited', async () => {
    const lost: string[] = [];
    const transport = createMqttTransport({ url, onConnectionLost: (d) => lost.push(d.name) });
    const link = await transport.connect(device('good'), never);
    const dropped = new Promise((resolve) => broker.once('clientDisconnect', resolve));
    serverSide.get('sim-good')!.close();
    await dropped;
    await link.send(message()); // waits in mqtt.js until the reconnect about a second later
    expect(lost).toEqual(['sim-good']);
    expect(link.isConnected()).toBe(true);
    await link.close();
  });

  it('gives up at once on a refused CONNECT, naming the reason', async () => {
    const before = connects;
    const transport = createMqttTransport({ url, connectAttempts: 5 });
    const refused = transport.connect(device('bad'), never);
    await expect(refused).rejects.toBeInstanceOf(SendError);
    await expect(refused).rejects.toMatchObject({ reason: 'connect:bad-credentials' });
    expect(connects - before).toBe(1);
  });

  it('retries an unreachable broker, then fails with the network error', async () => {
    const transport = createMqttTransport({ url: `mqtt://127.0.0.1:${await closedPort()}`, connectAttempts: 2 });
    await expect(transport.connect(device('good'), never)).rejects.toMatchObject({ reason: 'connect:ECONNREFUSED' });
  });
});
