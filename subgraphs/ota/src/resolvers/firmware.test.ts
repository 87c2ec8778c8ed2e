import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { forTenant } from '@ump/db';
import { firmwareStore } from '../data/firmware';
import { seedFirmware, seedRollout, seedRolloutDevices, seedTenant, sha256Of } from '../../test/fixture';
import { USER, useOtaSubgraph } from '../../test/harness';
import * as netGuard from '../net-guard';

// The download tests' server is on 127.0.0.1, so these tests allow private networks; the
// guard's own tests below use a subgraph with the default.
jest.mock('../net-guard', () => {
  const actual = jest.requireActual<typeof import('../net-guard')>('../net-guard');
  return { ...actual, refusalOf: jest.fn(actual.refusalOf) };
});

type Seed = Awaited<ReturnType<typeof seedTenant>>;

const MAX = 64 * 1024;
const h = useOtaSubgraph({ maxUploadBytes: MAX, fetchTimeoutMs: 2_000, allowPrivateNetworks: true });

const FIRMWARE_FIELDS = 'id title version profileIds size sha256 releaseNotes source sourceUrl createdAt rolloutCount';
const UPLOAD = `mutation($i: UploadFirmwareInput!) { uploadFirmware(input: $i) { ${FIRMWARE_FIELDS} } }`;
const FROM_URL = `mutation($i: CreateFirmwareFromUrlInput!) { createFirmwareFromUrl(input: $i) { ${FIRMWARE_FIELDS} } }`;

const image = Buffer.from('\x7fELF firmware image 0123456789'.repeat(50), 'latin1');
const upload = (extra: Record<string, unknown> = {}) => ({
  title: 'thermostat-main',
  version: '1.2.3',
  contentBase64: image.toString('base64'),
  sha256: sha256Of(image),
  ...extra,
});

/** Files under the tenant's artifact folder (none at all when the folder was never made). */
function storedFiles(tenantId: string): string[] {
  try {
    return readdirSync(path.join(h.artifactsDir, tenantId));
  } catch {
    return [];
  }
}

describe('uploadFirmware', () => {
  it('stores the bytes under <tenant>/<firmware id> and the metadata, and reads them back', async () => {
    const seed = await seedTenant(h.prisma);
    const created = (
      await h.ok(seed, 'OPERATOR', UPLOAD, { i: upload({ profileIds: [seed.profile.id], releaseNotes: 'fixes the display', sha256: sha256Of(image).toUpperCase() }) })
    ).uploadFirmware;
    expect(created).toMatchObject({
      title: 'thermostat-main',
      version: '1.2.3',
      profileIds: [seed.profile.id],
      size: image.length,
      sha256: sha256Of(image),
      releaseNotes: 'fixes the display',
      source: 'UPLOAD',
      sourceUrl: null,
      rolloutCount: 0,
    });
    const row = (await h.prisma.firmware.findUnique({ where: { id: created.id } }))!;
    expect(row).toMatchObject({ tenantId: seed.tenant.id, storageKey: `${seed.tenant.id}/${created.id}`, createdById: USER });
    expect(Buffer.from(await text(h.artifacts.read(row.storageKey)), 'latin1')).toEqual(image);
    expect(await h.artifacts.size(row.storageKey)).toBe(image.length);

    expect((await h.ok(seed, 'VIEWER', 'query($id: ID!) { firmware(id: $id) { id title } }', { id: created.id })).firmware).toEqual({ id: created.id, title: 'thermostat-main' });
  });

  it('refuses a checksum mismatch on input.sha256, naming both hashes, and keeps nothing', async () => {
    const seed = await seedTenant(h.prisma);
    const wrong = 'ab'.repeat(32);
    const error = await h.failure(seed, 'OPERATOR', UPLOAD, { i: upload({ sha256: wrong }) });
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.sha256' });
    expect(error.message).toContain(wrong);
    expect(error.message).toContain(sha256Of(image));
    expect(storedFiles(seed.tenant.id)).toEqual([]);
    expect(await h.prisma.firmware.count({ where: { tenantId: seed.tenant.id } })).toBe(0);
  });

  it.each([
    ['a character outside the alphabet', `${image.toString('base64').slice(0, 8)}*${image.toString('base64').slice(9)}`],
    ['a missing padding', 'YWJjZA'],
    ['a line break', `${image.toString('base64').slice(0, 76)}\n${image.toString('base64').slice(76)}`],
    ['nothing', ''],
  ])('refuses content with %s on input.contentBase64', async (_what, contentBase64) => {
    const seed = await seedTenant(h.prisma);
    expect(await h.failure(seed, 'OPERATOR', UPLOAD, { i: upload({ contentBase64 }) })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.contentBase64' });
    expect(storedFiles(seed.tenant.id)).toEqual([]);
  });

  it('refuses a firmware over the size limit', async () => {
    const seed = await seedTenant(h.prisma);
    const big = Buffer.alloc(MAX + 1, 7);
    const error = await h.failure(seed, 'OPERATOR', UPLOAD, { i: upload({ contentBase64: big.toString('base64'), sha256: sha256Of(big) }) });
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.contentBase64' });
    expect(error.message).toContain(String(MAX));
    expect(storedFiles(seed.tenant.id)).toEqual([]);
  });

  it.each([
    [{ version: '1.2' }, 'input.version'],
    [{ version: 'v1.2.3' }, 'input.version'],
    [{ version: '01.2.3' }, 'input.version'],
    [{ sha256: 'xyz' }, 'input.sha256'],
    [{ title: '  ' }, 'input.title'],
    [{ profileIds: ['nope'] }, 'input.profileIds.0'],
  ])('refuses %j on %s', async (change, field) => {
    const seed = await seedTenant(h.prisma);
    expect(await h.failure(seed, 'OPERATOR', UPLOAD, { i: upload(change) })).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(storedFiles(seed.tenant.id)).toEqual([]);
  });

  it('accepts pre-release and build versions', async () => {
    const seed = await seedTenant(h.prisma);
    for (const version of ['2.0.0-rc.1', '2.0.0+build.7', '2.0.0-beta+exp.sha.5114f85']) {
      expect((await h.ok(seed, 'OPERATOR', UPLOAD, { i: upload({ version }) })).uploadFirmware.version).toBe(version);
    }
  });

  it('refuses a duplicate title and version with CONFLICT and keeps only the first artifact', async () => {
    const seed = await seedTenant(h.prisma);
    const first = (await h.ok(seed, 'OPERATOR', UPLOAD, { i: upload() })).uploadFirmware;
    expect(await h.failure(seed, 'OPERATOR', UPLOAD, { i: upload() })).toMatchObject({ code: 'CONFLICT', field: 'input.version' });
    expect(storedFiles(seed.tenant.id)).toEqual([first.id]);
    // Another tenant may use the same title and version.
    const other = await seedTenant(h.prisma);
    await h.ok(other, 'OPERATOR', UPLOAD, { i: upload() });
  });

  it('lets one of two concurrent uploads of a version win, keeping one artifact', async () => {
    const seed = await seedTenant(h.prisma);
    const results = await Promise.all([h.call(seed, 'OPERATOR', UPLOAD, { i: upload() }), h.call(seed, 'OPERATOR', UPLOAD, { i: upload() })]);
    const won = results.filter((r) => !r.errors);
    expect(won).toHaveLength(1);
    expect(results.flatMap((r) => r.errors ?? []).map((e) => e.extensions?.code)).toEqual(['CONFLICT']);
    expect(storedFiles(seed.tenant.id)).toEqual([won[0]!.data!.uploadFirmware.id]);
  });

  it('refuses another tenant’s profile', async () => {
    const seed = await seedTenant(h.prisma);
    const other = await seedTenant(h.prisma);
    expect(await h.failure(seed, 'OPERATOR', UPLOAD, { i: upload({ profileIds: [seed.profile.id, other.profile.id] }) })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.profileIds.1',
    });
  });
});

describe('createFirmwareFromUrl', () => {
  let server: Server;
  let base: string;
  /** Requests the server received, by path. */
  const received: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push(req.url!);
      if (req.url?.startsWith('/to?')) {
        res.writeHead(302, { location: decodeURIComponent(req.url.slice('/to?'.length)) });
        res.end();
      } else if (req.url === '/fw.bin') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        // In two writes: the body streams into the store.
        res.write(image.subarray(0, 100));
        res.end(image.subarray(100));
      } else if (req.url === '/slow.bin') {
        res.writeHead(200);
        res.write(image.subarray(0, 10)); // and never ends: the timeout must cut it
      } else {
        res.writeHead(404, 'Not Found');
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const fromUrl = (extra: Record<string, unknown> = {}) => ({ title: 'thermostat-main', version: '3.0.0', url: `${base}/fw.bin`, sha256: sha256Of(image), ...extra });

  it('downloads the artifact and keeps it with its source URL', async () => {
    const seed = await seedTenant(h.prisma);
    const created = (await h.ok(seed, 'OPERATOR', FROM_URL, { i: fromUrl() })).createFirmwareFromUrl;
    expect(created).toMatchObject({ size: image.length, sha256: sha256Of(image), source: 'URL', sourceUrl: `${base}/fw.bin` });
    expect(Buffer.from(await text(h.artifacts.read(`${seed.tenant.id}/${created.id}`)), 'latin1')).toEqual(image);
  });

  it('refuses a mismatch on input.sha256 and keeps nothing', async () => {
    const seed = await seedTenant(h.prisma);
    const error = await h.failure(seed, 'OPERATOR', FROM_URL, { i: fromUrl({ sha256: '0'.repeat(64) }) });
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.sha256' });
    expect(error.message).toContain(sha256Of(image));
    expect(storedFiles(seed.tenant.id)).toEqual([]);
  });

  it('refuses an HTTP error, a timeout and a refused connection on input.url, with the reason', async () => {
    const seed = await seedTenant(h.prisma);
    const missing = await h.failure(seed, 'OPERATOR', FROM_URL, { i: fromUrl({ url: `${base}/missing.bin` }) });
    expect(missing).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.url' });
    expect(missing.message).toContain('HTTP 404');
    const slow = await h.failure(seed, 'OPERATOR', FROM_URL, { i: fromUrl({ url: `${base}/slow.bin` }) });
    expect(slow).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.url' });
    expect(slow.message).toContain('2000 ms');
    // A port nothing listens on: the one of a server that was just closed.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await h.failure(seed, 'OPERATOR', FROM_URL, { i: fromUrl({ url: `http://127.0.0.1:${port}/fw.bin` }) });
    expect(refused).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.url' });
    expect(refused.message).toContain('ECONNREFUSED');
    expect(storedFiles(seed.tenant.id)).toEqual([]);
  });

  it.each(['ftp://example.com/fw.bin', 'file:///etc/passwd', 'not a url', 'http://user:secret@example.com/fw.bin'])('refuses %s on input.url', async (url) => {
    const seed = await seedTenant(h.prisma);
    expect(await h.failure(seed, 'OPERATOR', FROM_URL, { i: fromUrl({ url }) })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.url' });
  });

  it('follows a redirect', async () => {
    const seed = await seedTenant(h.prisma);
    const url = `${base}/to?${encodeURIComponent('/fw.bin')}`;
    const created = (await h.ok(seed, 'OPERATOR', FROM_URL, { i: fromUrl({ url }) })).createFirmwareFromUrl;
    expect(created).toMatchObject({ size: image.length, sourceUrl: url });
  });

  describe('with private networks refused (the default)', () => {
    const PRIVATE = 'resolves to a private address; set OTA_FETCH_ALLOW_PRIVATE_NETWORKS=true to allow firmware from your own network';
    let guarded: ReturnType<typeof h.withOptions>;
    beforeAll(() => {
      guarded = h.withOptions({ maxUploadBytes: MAX, fetchTimeoutMs: 2_000 });
    });
    beforeEach(() => {
      received.length = 0;
    });
    const port = () => new URL(base).port;

    it.each([
      ['a loopback address', () => `${base}/fw.bin`, PRIVATE],
      ['a numeric spelling of 127.0.0.1', () => `http://2130706433:${port()}/fw.bin`, PRIVATE],
      ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/', /: resolves to a link-local address/],
      ['IPv6 loopback', () => `http://[::1]:${port()}/fw.bin`, PRIVATE],
      ['IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${port()}/fw.bin`, PRIVATE],
      ['a name that resolves to 127.0.0.1', () => `http://localhost:${port()}/fw.bin`, PRIVATE],
      ['a private network address', () => 'http://10.0.0.1/fw.bin', PRIVATE],
    ])('refuses %s on input.url without contacting it', async (_what, url, message) => {
      const seed = await seedTenant(h.prisma);
      const error = await guarded.failure(seed, 'OPERATOR', FROM_URL, { i: fromUrl({ url: url() }) });
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.url' });
      expect(error.message).toMatch(message);
      expect(received).toEqual([]);
      expect(storedFiles(seed.tenant.id)).toEqual([]);
    });

    it('refuses a redirect to a loopback address without following it', async () => {
      // A second server plays a public mirror: the guard takes the first address it checks
      // (the mirror's) for public, and the mirror redirects to the loopback server.
      const mirror = createServer((req, res) => {
        received.push(`mirror ${req.url}`);
        res.writeHead(302, { location: `${base}/fw.bin` });
        res.end();
      });
      try {
        await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
        const seed = await seedTenant(h.prisma);
        const url = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/fw.bin`;
        jest.mocked(netGuard.refusalOf).mockImplementationOnce(() => null);
        const error = await guarded.failure(seed, 'OPERATOR', FROM_URL, { i: fromUrl({ url }) });
        expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.url', message: `input.url: redirects to a URL that ${PRIVATE}` });
        expect(received).toEqual(['mirror /fw.bin']);
        expect(storedFiles(seed.tenant.id)).toEqual([]);
      } finally {
        mirror.closeAllConnections();
        await new Promise((resolve) => mirror.close(resolve));
      }
    });

    it('gives the same answer whether or not something listens there', async () => {
      const seed = await seedTenant(h.prisma);
      const open = await guarded.failure(seed, 'OPERATOR', FROM_URL, { i: fromUrl({ url: `${base}/fw.bin` }) });
      const closed = await guarded.failure(seed, 'OPERATOR', FROM_URL, { i: fromUrl({ url: 'http://127.0.0.1:1/fw.bin' }) });
      expect(closed).toEqual(open);
    });
  });
});

describe('firmware reads and deletes', () => {
  it('pages newest first, filters by title, and counts rollouts', async () => {
    const seed = await seedTenant(h.prisma);
    const a = await seedFirmware(h.prisma, seed, { title: 'a', version: '1.0.0' });
    const b = await seedFirmware(h.prisma, seed, { title: 'b', version: '1.0.0' });
    const c = await seedFirmware(h.prisma, seed, { title: 'a', version: '1.1.0' });
    await seedRollout(h.prisma, seed, c.id);
    const first = (await h.ok(seed, 'VIEWER', '{ firmwares(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { node { id rolloutCount } } } }')).firmwares;
    expect(first.totalCount).toBe(3);
    expect(first.edges.map((e: any) => e.node)).toEqual([{ id: c.id, rolloutCount: 1 }, { id: b.id, rolloutCount: 0 }]);
    const rest = (await h.ok(seed, 'VIEWER', 'query($a: String) { firmwares(first: 2, after: $a) { pageInfo { hasNextPage } edges { node { id } } } }', { a: first.pageInfo.endCursor })).firmwares;
    expect(rest).toEqual({ pageInfo: { hasNextPage: false }, edges: [{ node: { id: a.id } }] });
    const titled = (await h.ok(seed, 'VIEWER', '{ firmwares(filter: { title: "a" }) { totalCount edges { node { version } } } }')).firmwares;
    expect(titled).toEqual({ totalCount: 2, edges: [{ node: { version: '1.1.0' } }, { node: { version: '1.0.0' } }] });
  });

  it('deletes a firmware and its artifact, but not while a rollout uses it', async () => {
    const seed = await seedTenant(h.prisma);
    const created = (await h.ok(seed, 'OPERATOR', UPLOAD, { i: upload() })).uploadFirmware;
    const used = await seedFirmware(h.prisma, seed);
    await seedRollout(h.prisma, seed, used.id, { state: 'SUCCEEDED' });
    expect(await h.failure(seed, 'OPERATOR', 'mutation($id: ID!) { deleteFirmware(id: $id) }', { id: used.id })).toMatchObject({ code: 'CONFLICT', field: 'id' });
    expect((await h.ok(seed, 'OPERATOR', 'mutation($id: ID!) { deleteFirmware(id: $id) }', { id: created.id })).deleteFirmware).toBe(created.id);
    expect(await h.artifacts.size(`${seed.tenant.id}/${created.id}`)).toBeNull();
    expect(await h.failure(seed, 'VIEWER', 'query($id: ID!) { firmware(id: $id) { id } }', { id: created.id })).toMatchObject({ code: 'NOT_FOUND' });
  });

  it.each(['currentFirmwareId', 'previousFirmwareId', 'targetFirmwareId'] as const)(
    'refuses to delete a firmware a device’s %s names',
    async (column) => {
      const seed = await seedTenant(h.prisma);
      const firmware = await seedFirmware(h.prisma, seed);
      const row = await h.prisma.deviceFirmware.create({ data: { deviceId: seed.device.id, tenantId: seed.tenant.id, [column]: firmware.id } });
      const error = await h.failure(seed, 'OPERATOR', 'mutation($id: ID!) { deleteFirmware(id: $id) }', { id: firmware.id });
      expect(error).toMatchObject({ code: 'CONFLICT', field: 'id', message: expect.stringContaining('1 device runs this firmware') });
      expect(await h.prisma.firmware.count({ where: { id: firmware.id } })).toBe(1);
      // Once the device moved on, the firmware can go.
      await h.prisma.deviceFirmware.update({ where: { deviceId: row.deviceId }, data: { [column]: null } });
      expect((await h.ok(seed, 'OPERATOR', 'mutation($id: ID!) { deleteFirmware(id: $id) }', { id: firmware.id })).deleteFirmware).toBe(firmware.id);
    },
  );

  // The resolver checks first; the foreign keys catch a report or assignment stored between
  // those checks and the delete.
  const deviceNaming = (column: 'currentFirmwareId' | 'previousFirmwareId' | 'targetFirmwareId') => (seed: Seed, id: string) =>
    h.prisma.deviceFirmware.create({ data: { deviceId: seed.device.id, tenantId: seed.tenant.id, [column]: id } });
  it.each([
    ['a device runs', deviceNaming('currentFirmwareId')],
    ['a device ran', deviceNaming('previousFirmwareId')],
    ['a device is assigned', deviceNaming('targetFirmwareId')],
    ['a rollout would roll back to', async (seed: Seed, id: string) => {
      const rollout = await seedRollout(h.prisma, seed, (await seedFirmware(h.prisma, seed)).id, { state: 'SUCCEEDED' });
      await seedRolloutDevices(h.prisma, seed, rollout.id, [[seed.device.id, 'UPDATED']]);
      await h.prisma.rolloutDevice.updateMany({ where: { rolloutId: rollout.id }, data: { previousFirmwareId: id } });
    }],
  ])('the database refuses to delete a firmware %s, past the resolver’s checks', async (_what, refer) => {
    const seed = await seedTenant(h.prisma);
    const firmware = await seedFirmware(h.prisma, seed);
    await refer(seed, firmware.id);
    await expect(firmwareStore.remove(forTenant(h.prisma, seed.tenant.id), firmware.id)).rejects.toMatchObject({
      extensions: { code: 'CONFLICT', field: 'id' },
      message: expect.stringContaining('refers to this firmware'),
    });
    expect(await h.prisma.firmware.count({ where: { id: firmware.id } })).toBe(1);
  });

  it('refuses to delete a firmware a rollout would roll devices back to', async () => {
    const seed = await seedTenant(h.prisma);
    const before = await seedFirmware(h.prisma, seed);
    const after = await seedFirmware(h.prisma, seed);
    const rollout = await seedRollout(h.prisma, seed, after.id, { state: 'SUCCEEDED' });
    await seedRolloutDevices(h.prisma, seed, rollout.id, [[seed.device.id, 'UPDATED']]);
    await h.prisma.rolloutDevice.updateMany({ where: { rolloutId: rollout.id }, data: { previousFirmwareId: before.id } });
    const error = await h.failure(seed, 'OPERATOR', 'mutation($id: ID!) { deleteFirmware(id: $id) }', { id: before.id });
    expect(error).toMatchObject({ code: 'CONFLICT', field: 'id', message: expect.stringContaining('1 rollout assignment would roll a device back to this firmware') });
    expect(await h.prisma.firmware.count({ where: { id: before.id } })).toBe(1);
  });

  it('hides firmware from other tenants and forbids writes to a VIEWER', async () => {
    const seed = await seedTenant(h.prisma);
    const other = await seedTenant(h.prisma);
    const created = (await h.ok(seed, 'OPERATOR', UPLOAD, { i: upload() })).uploadFirmware;
    expect(await h.failure(other, 'TENANT_ADMIN', 'query($id: ID!) { firmware(id: $id) { id } }', { id: created.id })).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    expect(await h.failure(other, 'TENANT_ADMIN', 'mutation($id: ID!) { deleteFirmware(id: $id) }', { id: created.id })).toMatchObject({ code: 'NOT_FOUND' });
    expect((await h.ok(other, 'VIEWER', '{ firmwares { totalCount edges { node { id } } } }')).firmwares).toEqual({ totalCount: 0, edges: [] });
    expect(await h.artifacts.size(`${seed.tenant.id}/${created.id}`)).toBe(image.length);

    expect(await h.failure(seed, 'VIEWER', UPLOAD, { i: upload({ version: '9.9.9' }) })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await h.failure(seed, 'VIEWER', FROM_URL, { i: { title: 't', version: '1.0.0', url: 'http://127.0.0.1:1/x', sha256: '0'.repeat(64) } })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await h.failure(seed, 'VIEWER', 'mutation($id: ID!) { deleteFirmware(id: $id) }', { id: created.id })).toMatchObject({ code: 'FORBIDDEN' });
  });
});
