import { deadLetterSchema, telemetryTopic, type IncomingMessage } from '@ump/core';
import { eventually } from '@ump/core/src/testing/eventually';
import { collect, createTestWorld, postTelemetry, startIntake, type RunningIntake, type TestWorld } from './testkit';

let world: TestWorld;
let device: { deviceId: string; token: string };
let running: RunningIntake;
let telemetry: IncomingMessage[];
let dlq: IncomingMessage[];

beforeAll(async () => {
  world = await createTestWorld('free');
  device = await world.addDevice();
}, 60_000); // a fresh PGlite with every migration takes a few seconds
afterAll(() => world.drop());

beforeEach(async () => {
  running = await startIntake(world, { config: { maxBatch: 5, maxBodyBytes: 4096, rateLimit: { devicePerSecond: 1000 } } });
  telemetry = await collect(running.bus, telemetryTopic.name);
  dlq = await collect(running.bus, 'telemetry.dlq.v1');
});
afterEach(() => running.stop());

describe('HTTP intake: accepted telemetry', () => {
  test('a point reaches the bus with tenant, device, a unique messageId and the plan retention', async () => {
    const before = Date.now();
    const response = await postTelemetry(running.httpUrl, device.token, { temperature: 21.5 });
    expect(response).toMatchObject({ status: 202, body: { accepted: 1 } });
    // 202 is only sent after the bus accepted, so the message is there already.
    await eventually(() => telemetry.length === 1);
    const message = telemetry[0]!;
    const parsed = telemetryTopic.parse(message.value);
    expect(parsed.ok).toBe(true);
    expect(message.key).toBe(device.deviceId);
    expect(message.value).toMatchObject({ tenantId: world.tenantId, deviceId: device.deviceId, values: { temperature: 21.5 }, retentionDays: 30 });
    const value = message.value as { ts: number; receivedAt: number; messageId: string };
    expect(value.ts).toBe(value.receivedAt);
    expect(value.receivedAt).toBeGreaterThanOrEqual(before);
    expect(value.messageId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('ThingsBoard formats: ts/values, arrays, the token in the path', async () => {
    const ts = Date.now() - 60_000;
    expect((await postTelemetry(running.httpUrl, device.token, { ts, values: { a: 1 } })).body).toEqual({ accepted: 1 });
    const batch = [{ b: true }, { ts, values: { c: 'on' } }, { ts: ts + 1, values: { d: 4 } }];
    expect((await postTelemetry(running.httpUrl, device.token, batch)).body).toEqual({ accepted: 3 });
    const inPath = await postTelemetry(running.httpUrl, null, { e: 5 }, `/api/v1/${device.token}/telemetry`);
    expect(inPath).toMatchObject({ status: 202, body: { accepted: 1 } });
    await eventually(() => telemetry.length === 5);
    const values = telemetry.map((m) => m.value as { ts: number; values: object; deviceId: string });
    expect(values.map((v) => v.values)).toEqual([{ a: 1 }, { b: true }, { c: 'on' }, { d: 4 }, { e: 5 }]);
    expect(values[0]!.ts).toBe(ts);
    expect(new Set(telemetry.map((m) => (m.value as { messageId: string }).messageId)).size).toBe(5);
    expect(new Set(values.map((v) => v.deviceId))).toEqual(new Set([device.deviceId]));
  });

  test('the device comes from the token, never from the payload', async () => {
    const other = await world.addDevice();
    await postTelemetry(running.httpUrl, device.token, { deviceId: other.deviceId, tenantId: '00000000-0000-0000-0000-000000000000', v: 1 });
    await eventually(() => telemetry.length === 1);
    expect(telemetry[0]!.value).toMatchObject({ deviceId: device.deviceId, tenantId: world.tenantId });
  });
});

describe('HTTP intake: refusals', () => {
  test('401 without a token, with an unknown one, or a bad one in the path', async () => {
    expect((await postTelemetry(running.httpUrl, null, { a: 1 })).status).toBe(401);
    expect((await postTelemetry(running.httpUrl, 'not-a-real-token-at-all', { a: 1 })).status).toBe(401);
    expect((await postTelemetry(running.httpUrl, null, { a: 1 }, '/api/v1/wrong-token-xyz/telemetry')).status).toBe(401);
    expect((await fetch(`${running.httpUrl}/api/v1/telemetry`)).status).toBe(405);
    expect(telemetry).toEqual([]);
  });

  test.each([
    ['a nested object', { a: { b: 1 } }, 'a: expected a number, string or boolean, got a nested object'],
    ['null', [{ a: 1 }, { values: { temp: null } }], '[1].values.temp: expected a number, string or boolean, got null'],
    ['a NaN-ish number', '{"a": 1e999}', 'a: expected a number, string or boolean, got a number out of range'],
    ['NaN', '{"a": NaN}', '(root): not valid JSON'],
    ['bad JSON', '{"a":', '(root): not valid JSON'],
    ['an empty body', '', '(root): the payload is empty'],
    ['empty values', {}, '(root): no values'],
    ['a future ts', { ts: Date.now() + 3_600_000, values: { a: 1 } }, 'ms in the future'],
    ['an ancient ts', { ts: 1_000_000, values: { a: 1 } }, 'is older than the accepted'],
  ])('400 and a dead letter for %s', async (_, body, reason) => {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    const response = await postTelemetry(running.httpUrl, device.token, payload);
    expect(response.status).toBe(400);
    expect(response.body.error).toContain(reason);
    await eventually(() => dlq.length === 1);
    const letter = deadLetterSchema.parse(dlq[0]!.value);
    expect(letter).toMatchObject({ reason: response.body.error, source: 'http', payload, tenantId: world.tenantId, deviceId: device.deviceId });
    expect(telemetry).toEqual([]);
  });

  test('413 for a body over maxBodyBytes and for more than maxBatch points', async () => {
    const big = await postTelemetry(running.httpUrl, device.token, { s: 'x'.repeat(5000) });
    expect(big).toMatchObject({ status: 413, body: { error: 'Body larger than 4096 bytes' } });
    const many = await postTelemetry(running.httpUrl, device.token, Array.from({ length: 6 }, (_, i) => ({ i })));
    expect(many).toMatchObject({ status: 413, body: { error: '(root): 6 points, at most 5 are accepted at once' } });
    expect(telemetry).toEqual([]);
    const metrics = await running.metricsText();
    expect(metrics).toMatch(/ump_intake_rejected_total\{protocol="http",reason="too_large",service="intake"\} 1/);
    expect(metrics).toMatch(/ump_intake_rejected_total\{protocol="http",reason="too_many_points",service="intake"\} 1/);
  });

  test('a chunked body over the limit is cut off with 413 too', async () => {
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(1000)));
        controller.close();
      },
    });
    const response = await fetch(`${running.httpUrl}/api/v1/telemetry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${device.token}` },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });
});

test('429 with Retry-After once the device is over its rate', async () => {
  await running.stop();
  running = await startIntake(world, { config: { rateLimit: { devicePerSecond: 3 } } });
  telemetry = await collect(running.bus, telemetryTopic.name);
  const statuses: number[] = [];
  let limited: Awaited<ReturnType<typeof postTelemetry>> | undefined;
  // The window is one second: send until refused (at most a few rounds if a second boundary intervenes).
  for (let i = 0; i < 20 && !limited; i++) {
    const response = await postTelemetry(running.httpUrl, device.token, { i });
    statuses.push(response.status);
    if (response.status === 429) limited = response;
  }
  expect(limited?.headers.get('retry-after')).toBe('1');
  expect(limited?.body.error).toContain('Rate limit of the device exceeded');
  expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(3);
  expect(await running.metricsText()).toMatch(/ump_intake_rejected_total\{protocol="http",reason="rate_limited",service="intake"\} [1-9]/);
});

test('metrics count accepted messages and points by protocol, and accept latency', async () => {
  await postTelemetry(running.httpUrl, device.token, [{ a: 1 }, { b: 2 }]);
  const metrics = await running.metricsText();
  expect(metrics).toMatch(/ump_intake_accepted_messages_total\{protocol="http",service="intake"\} 1/);
  expect(metrics).toMatch(/ump_intake_accepted_points_total\{protocol="http",service="intake"\} 2/);
  expect(metrics).toMatch(/ump_intake_accept_duration_seconds_count\{[^}]*protocol="http"[^}]*\} 1/);
  expect((await fetch(`${running.httpUrl}/healthz`)).status).toBe(200);
});
