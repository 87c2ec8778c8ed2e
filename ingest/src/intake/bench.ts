// Rough throughput of the intake on this machine, not a test:
//   npx tsx ingest/src/intake/bench.ts [devices=1000] [messagesPerDevice=20] [pointsPerMessage=1] [mqtt|http|both]
// The intake runs here on the in-memory bus and cache with an embedded database; the MQTT
// and HTTP load comes from a child process, so both compete for the same cores as they
// would on one small host. Rate limits are raised out of the way: this measures the intake.
import { spawn } from 'node:child_process';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import http from 'node:http';
import mqtt from 'mqtt';
import { createDeviceToken, createLogger, createMemoryBus, createMemoryCache, createMetrics, telemetryTopic } from '@ump/core';
import { eventually } from '@ump/core/src/testing/eventually';
import { createEmbeddedTestDatabase } from '@ump/db/src/testing';
import { createIntake, TELEMETRY_TOPIC } from './index';

const [role = 'intake', ...args] = process.argv.slice(2);

async function runIntake(devices: number, perDevice: number, points: number, protocols: string) {
  const { db, drop } = await createEmbeddedTestDatabase();
  const tenant = await db.prisma.tenant.create({ data: { name: 'bench' } });
  const tokens = Array.from({ length: devices }, () => createDeviceToken());
  const ids = tokens.map(() => crypto.randomUUID());
  await db.prisma.device.createMany({ data: ids.map((id, i) => ({ id, tenantId: tenant.id, name: `d${i}` })) });
  await db.prisma.deviceCredential.createMany({ data: ids.map((deviceId, i) => ({ deviceId, tenantId: tenant.id, tokenHash: tokens[i]!.tokenHash })) });

  const bus = createMemoryBus();
  const cache = createMemoryCache();
  let received = 0;
  // Event-loop use from the first message to the last: connecting and closing are left out.
  let sending: EventLoopUtilization | undefined;
  let sendingBusyMs = NaN;
  let target = 0;
  await bus.subscribe({
    topic: telemetryTopic.name,
    groupId: 'bench',
    handleBatch: async (batch) => {
      sending ??= performance.eventLoopUtilization();
      received += batch.messages.length;
      if (received === target) sendingBusyMs = performance.eventLoopUtilization(sending).active;
    },
  });
  const intake = createIntake({
    prisma: db.prisma,
    cache,
    bus,
    logger: createLogger({ name: 'intake', level: 'warn', format: 'json' }),
    metrics: createMetrics('intake'),
    config: { httpPort: 0, mqttPort: 0, host: '127.0.0.1', rateLimit: { devicePerSecond: 1e6, tenantPerSecond: 1e9 }, maxBatch: 10_000 },
  });
  const { httpPort, mqttPort } = await intake.start();
  for (const protocol of (['mqtt', 'http'] as const).filter((p) => protocols === 'both' || protocols === p)) {
    const url = protocol === 'mqtt' ? `mqtt://127.0.0.1:${mqttPort}` : `http://127.0.0.1:${httpPort}`;
    const before = received;
    sending = undefined;
    sendingBusyMs = NaN;
    target = before + devices * perDevice * points;
    const child = spawn(process.execPath, [...process.execArgv, __filename, protocol, url, String(perDevice), String(points)], {
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    child.stdin.end(tokens.map((t) => t.token).join('\n'));
    await new Promise((resolve) => child.once('exit', resolve));
    // Every point was acknowledged already; the consumer drains the in-memory log after.
    await eventually(() => received === target, { timeoutMs: 60_000, what: 'the consumer' });
    // The intake's own cost, whatever the load generator in the child takes of the cores.
    const perMessageUs = (sendingBusyMs * 1000) / (devices * perDevice);
    console.log(`  ${protocol}: all ${(received - before).toLocaleString('en-US')} points reached a bus consumer; intake main thread busy ${perMessageUs.toFixed(1)} µs per message`);
  }
  await intake.stop();
  await bus.close();
  await cache.close();
  await drop();
}

/** The load: every device sends its messages QoS 1 (MQTT) or one request at a time (HTTP). */
async function runLoad(protocol: string, url: string, perDevice: number, points: number) {
  const tokens = (await new Response(process.stdin as unknown as ReadableStream).text()).split('\n');
  const payload = JSON.stringify(Array.from({ length: points }, (_, i) => ({ ts: Date.now(), values: { temperature: 21.5 + i, on: true } })));
  const started = performance.now();
  let connectedAt = started;
  if (protocol === 'mqtt') {
    const clients = await Promise.all(tokens.map((token) => mqtt.connectAsync(url, { username: token, reconnectPeriod: 0, keepalive: 0 })));
    connectedAt = performance.now();
    // Ten messages in flight per device, as a firmware with a small outbox would.
    await Promise.all(
      clients.map(async (client) => {
        for (let sent = 0; sent < perDevice; sent += 10) {
          const burst = Array.from({ length: Math.min(10, perDevice - sent) }, () => client.publishAsync(TELEMETRY_TOPIC, payload, { qos: 1 }));
          await Promise.all(burst);
        }
      }),
    );
    await Promise.all(clients.map((client) => client.endAsync()));
  } else {
    // node:http rather than fetch: undici costs the load generator more CPU than the intake.
    // Devices share 200 keep-alive sockets, as behind a NAT or a gateway.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 200 });
    const post = (token: string) =>
      new Promise<void>((resolve, reject) => {
        const headers = { authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(payload) };
        const req = http.request(`${url}/api/v1/telemetry`, { method: 'POST', agent, headers }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 202 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.end(payload);
      });
    await Promise.all(tokens.map(async (token) => { for (let i = 0; i < perDevice; i++) await post(token); }));
    agent.destroy();
  }
  const seconds = (performance.now() - connectedAt) / 1000;
  const messages = tokens.length * perDevice;
  const connect = protocol === 'mqtt' ? `connect ${((connectedAt - started) / 1000).toFixed(1)} s, ` : '';
  console.log(
    `${protocol}: ${tokens.length} devices × ${perDevice} messages × ${points} points: ${connect}${seconds.toFixed(1)} s → ` +
      `${Math.round(messages / seconds).toLocaleString('en-US')} msg/s, ${Math.round((messages * points) / seconds).toLocaleString('en-US')} points/s`,
  );
}

const main =
  role === 'mqtt' || role === 'http'
    ? runLoad(role, args[0]!, Number(args[1]), Number(args[2]))
    : runIntake(Number(role === 'intake' ? 1000 : role), Number(args[0] ?? 20), Number(args[1] ?? 1), args[2] ?? 'both');
main.catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
