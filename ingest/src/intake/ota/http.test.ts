import { createHash, randomUUID } from 'node:crypto';
import { deadLetterSchema, otaStatusTopic, type ArtifactStore, type IncomingMessage } from '@ump/core';
import { eventually } from '@ump/core/src/testing/eventually';
import { collect, createTestWorld, startIntake, type RunningIntake, type TestWorld } from '../testkit';
import { addFirmware, addTenant, assign, createTempArtifacts, newCommandId, type TestFirmware } from './testkit';

let world: TestWorld;
let artifacts: ArtifactStore;
let removeArtifacts: () => Promise<void>;
let running: RunningIntake;
let statuses: IncomingMessage[];
let dlq: IncomingMessage[];

beforeAll(async () => {
  world = await createTestWorld('free');
  ({ artifacts, remove: removeArtifacts } = await createTempArtifacts());
}, 60_000); // a fresh PGlite with every migration takes a few seconds
afterAll(async () => {
  await world.drop();
  await removeArtifacts();
});

beforeEach(async () => {
  running = await startIntake(world, { artifacts, config: { maxBodyBytes: 4096, rateLimit: { devicePerSecond: 1000 } } });
  statuses = await collect(running.bus, otaStatusTopic.name);
  dlq = await collect(running.bus, 'ota.status.dlq.v1');
});
afterEach(() => running.stop());

/** A device of the world with its scope, as assign() wants it. */
async function addDevice() {
  const device = await world.addDevice();
  return { ...device, tenantId: world.tenantId };
}

const auth = (token: string | null): Record<string, string> => (token === null ? {} : { authorization: `Bearer ${token}` });

async function poll(token: string | null) {
  const response = await fetch(`${running.httpUrl}/api/v1/ota/pending`, { headers: auth(token) });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

async function report(token: string | null, body: unknown) {
  const response = await fetch(`${running.httpUrl}/api/v1/ota/status`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth(token) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function download(token: string | null, firmwareId: string, headers: Record<string, string> = {}, method = 'GET') {
  const response = await fetch(`${running.httpUrl}/api/v1/ota/firmware/${firmwareId}`, { method, headers: { ...auth(token), ...headers } });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('GET /api/v1/ota/pending', () => {
  test('204 without an assignment, 200 with it, 204 once final, 200 again for the next one', async () => {
    const device = await addDevice();
    expect(await poll(device.token)).toEqual({ status: 204, body: null });

    const firmware = await addFirmware(world.prisma, artifacts, world.tenantId);
    const commandId = newCommandId();
    await assign(world.prisma, device, { targetFirmwareId: firmware.id, commandId, status: null });
    expect(await poll(device.token)).toEqual({
      status: 200,
      body: {
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
      },
    });

    await assign(world.prisma, device, { status: 'DOWNLOADING' });
    expect((await poll(device.token)).status).toBe(200);
    await assign(world.prisma, device, { status: 'UPDATED', currentFirmwareId: firmware.id });
    expect((await poll(device.token)).status).toBe(204);

    // No cache in the way: the next assignment shows on the very next poll.
    const next = await addFirmware(world.prisma, artifacts, world.tenantId);
    const nextCommand = newCommandId();
    await assign(world.prisma, device, { targetFirmwareId: next.id, commandId: nextCommand, status: null });
    expect(await poll(device.token)).toMatchObject({ status: 200, body: { commandId: nextCommand, firmware: { id: next.id } } });

    await assign(world.prisma, device, { status: 'FAILED' });
    expect((await poll(device.token)).status).toBe(204);
  });

  test("a device never sees another device's assignment; 401 without a valid token", async () => {
    const device = await addDevice();
    const other = await addDevice();
    const firmware = await addFirmware(world.prisma, artifacts, world.tenantId);
    await assign(world.prisma, other, { targetFirmwareId: firmware.id, commandId: newCommandId() });
    expect((await poll(other.token)).status).toBe(200);
    expect((await poll(device.token)).status).toBe(204);
    expect((await poll(null)).status).toBe(401);
    expect((await poll('not-a-real-token-at-all')).status).toBe(401);
    expect((await fetch(`${running.httpUrl}/api/v1/ota/pending`, { method: 'POST', headers: auth(device.token) })).status).toBe(405);
  });

  test('an assignment without a command id, or to another tenant’s firmware, is not pending', async () => {
    const device = await addDevice();
    const firmware = await addFirmware(world.prisma, artifacts, world.tenantId);
    await assign(world.prisma, device, { targetFirmwareId: firmware.id, commandId: null });
    expect((await poll(device.token)).status).toBe(204);
    // A firmware that does not exist cannot be assigned any more (a foreign key); one of
    // another tenant can, by a bug elsewhere, and must still not be offered.
    const foreign = await addFirmware(world.prisma, artifacts, randomUUID());
    await assign(world.prisma, device, { targetFirmwareId: foreign.id, commandId: newCommandId() });
    expect((await poll(device.token)).status).toBe(204);
  });
});

describe('POST /api/v1/ota/status', () => {
  test('202 with the messageId once on ota.status.v1, tenant and device from the token', async () => {
    const device = await addDevice();
    const other = await addDevice();
    const commandId = newCommandId();
    const ts = Date.now() - 5_000;
    const response = await report(device.token, {
      commandId,
      status: 'DOWNLOADING',
      progress: 30,
      ts,
      deviceId: other.deviceId,
      tenantId: '00000000-0000-0000-0000-000000000000',
    });
    expect(response).toMatchObject({ status: 202, body: { accepted: 1 } });
    // 202 is only sent after the bus accepted, so the message is there already.
    expect(statuses).toHaveLength(1);
    const message = statuses[0]!;
    const parsed = otaStatusTopic.parse(message.value);
    expect(parsed).toEqual({
      ok: true,
      value: { messageId: response.body.messageId, tenantId: world.tenantId, deviceId: device.deviceId, commandId, status: 'DOWNLOADING', progress: 30, at: ts },
    });
    expect(message.key).toBe(device.deviceId);
  });

  test('400 naming the field, dead-lettered with the reason on ota.status.dlq.v1, nothing forwarded', async () => {
    const device = await addDevice();
    const body = JSON.stringify({ commandId: 'c1', status: 'ALMOST_DONE' });
    const response = await report(device.token, body);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(/^status: /);
    await eventually(() => dlq.length === 1);
    const letter = deadLetterSchema.parse(dlq[0]!.value);
    expect(letter).toMatchObject({ reason: response.body.error, source: 'http', payload: body, tenantId: world.tenantId, deviceId: device.deviceId });
    expect((await report(device.token, { commandId: 'c1', status: 'DOWNLOADING', progress: 250 })).body.error).toMatch(/^progress: /);
    expect((await report(device.token, '{nope')).body.error).toBe('(root): not valid JSON');
    expect(statuses).toEqual([]);
  });

  test('401 for a bad token, 413 over maxBodyBytes, 429 over the rate', async () => {
    const device = await addDevice();
    expect((await report('not-a-real-token-at-all', { commandId: 'c1', status: 'QUEUED' })).status).toBe(401);
    expect((await report(device.token, { commandId: 'c1', status: 'QUEUED', reason: 'x'.repeat(5000) })).status).toBe(413);
    await running.stop();
    running = await startIntake(world, { artifacts, config: { rateLimit: { devicePerSecond: 2 } } });
    let limited: Awaited<ReturnType<typeof report>> | undefined;
    // The window is one second: send until refused (a few rounds at most if a second boundary intervenes).
    for (let i = 0; i < 20 && !limited; i++) {
      const response = await report(device.token, { commandId: 'c1', status: 'QUEUED' });
      if (response.status === 429) limited = response;
    }
    expect(limited?.body.error).toContain('Rate limit of the device exceeded');
  });
});

describe('GET /api/v1/ota/firmware/<id>', () => {
  let device: Awaited<ReturnType<typeof addDevice>>;
  let firmware: TestFirmware;

  beforeEach(async () => {
    device = await addDevice();
    firmware = await addFirmware(world.prisma, artifacts, world.tenantId, { size: 5_000 });
    await assign(world.prisma, device, { targetFirmwareId: firmware.id, commandId: newCommandId() });
  });

  test('the whole artifact with its checksum headers; HEAD gives the headers only', async () => {
    const whole = await download(device.token, firmware.id);
    expect(whole.status).toBe(200);
    expect(Object.fromEntries(whole.headers)).toMatchObject({
      'content-type': 'application/octet-stream',
      'content-length': '5000',
      'accept-ranges': 'bytes',
      etag: `"${firmware.sha256}"`,
      'x-checksum-sha256': firmware.sha256,
      'x-firmware-version': firmware.version,
    });
    expect(sha256(whole.bytes)).toBe(firmware.sha256);

    const head = await download(device.token, firmware.id, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('5000');
    expect(head.bytes.length).toBe(0);
    expect(await running.metricsText()).toMatch(/ump_intake_ota_download_bytes_total\{service="intake"\} 5000/);
  });

  test('ranges: an interrupted download resumes with bytes=a-, and a suffix range', async () => {
    const first = await download(device.token, firmware.id, { range: 'bytes=0-1233' });
    expect(first.status).toBe(206);
    expect(first.headers.get('content-range')).toBe('bytes 0-1233/5000');
    expect(first.headers.get('content-length')).toBe('1234');
    const rest = await download(device.token, firmware.id, { range: 'bytes=1234-', 'if-range': `"${firmware.sha256}"` });
    expect(rest.status).toBe(206);
    expect(rest.headers.get('content-range')).toBe('bytes 1234-4999/5000');
    expect(Buffer.concat([first.bytes, rest.bytes]).equals(firmware.bytes)).toBe(true);

    const tail = await download(device.token, firmware.id, { range: 'bytes=-100' });
    expect(tail).toMatchObject({ status: 206 });
    expect(tail.headers.get('content-range')).toBe('bytes 4900-4999/5000');
    expect(tail.bytes.equals(firmware.bytes.subarray(4900))).toBe(true);

    // Another firmware behind the same URL (If-Range no longer matches): the whole file.
    const stale = await download(device.token, firmware.id, { range: 'bytes=1234-', 'if-range': '"0000"' });
    expect(stale.status).toBe(200);
    expect(stale.bytes.length).toBe(5000);
  });

  test('416 with Content-Range bytes */size for a range past the end; 304 for a matching If-None-Match', async () => {
    const response = await download(device.token, firmware.id, { range: 'bytes=5000-' });
    expect(response.status).toBe(416);
    expect(response.headers.get('content-range')).toBe('bytes */5000');
    const cached = await download(device.token, firmware.id, { 'if-none-match': `"${firmware.sha256}"` });
    expect(cached.status).toBe(304);
  });

  test('the current firmware may be downloaded too', async () => {
    const current = await addFirmware(world.prisma, artifacts, world.tenantId, { size: 10 });
    await assign(world.prisma, device, { currentFirmwareId: current.id });
    expect((await download(device.token, current.id)).bytes.equals(current.bytes)).toBe(true);
  });

  test("404 for another tenant's or an unknown firmware, 403 for one not assigned, 401 for a bad token", async () => {
    const otherTenant = await addTenant(world.prisma);
    const foreign = await addFirmware(world.prisma, artifacts, otherTenant, { size: 10 });
    const notFound = await download(device.token, foreign.id);
    expect(notFound.status).toBe(404);
    expect(JSON.parse(notFound.bytes.toString())).toEqual({ error: 'firmware not found' });
    expect((await download(device.token, '00000000-0000-7000-8000-000000000000')).status).toBe(404);
    expect((await download(device.token, 'not-a-uuid')).status).toBe(404);

    const unassigned = await addFirmware(world.prisma, artifacts, world.tenantId, { size: 10 });
    const forbidden = await download(device.token, unassigned.id);
    expect(forbidden.status).toBe(403);
    expect(JSON.parse(forbidden.bytes.toString())).toEqual({ error: 'firmware not assigned to this device' });
    // Another device of the same tenant is not assigned this firmware either.
    const other = await addDevice();
    expect((await download(other.token, firmware.id)).status).toBe(403);

    expect((await download(null, firmware.id)).status).toBe(401);
    expect((await download('not-a-real-token-at-all', firmware.id)).status).toBe(401);
  });

  test('503 without an artifact store', async () => {
    await running.stop();
    running = await startIntake(world);
    const response = await download(device.token, firmware.id);
    expect(response.status).toBe(503);
    expect(JSON.parse(response.bytes.toString())).toEqual({ error: 'firmware downloads are not configured' });
  });
});
