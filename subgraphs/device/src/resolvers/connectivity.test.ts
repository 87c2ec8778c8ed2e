import { randomBytes } from 'node:crypto';
import { createDeviceToken, createLogger, createMemoryCache, createMetrics, sha256, signIdentity, type Cache } from '@ump/core';
import { deviceCredentialCacheKey } from '@ump/core';
import { deviceLastSeenKey } from '@ump/core';
import { createEmbeddedTestDatabase, type EmbeddedTestDatabase } from '@ump/db/src/testing';
import { createDeviceSubgraph } from '../index';

const SECRET = randomBytes(32).toString('hex');
let database: EmbeddedTestDatabase;
let cache: Cache;
let tenantId: string;
let subgraph: ReturnType<typeof createDeviceSubgraph>;

beforeAll(async () => {
  database = await createEmbeddedTestDatabase();
  cache = createMemoryCache();
  tenantId = (await database.db.prisma.tenant.create({ data: { name: 'acme' } })).id;
  const logger = createLogger({ name: 'device', level: 'silent', format: 'json' });
  subgraph = createDeviceSubgraph({ prisma: database.db.prisma, cache, logger, metrics: createMetrics('device'), internalSecret: SECRET });
}, 60_000); // a fresh PGlite with every migration takes a few seconds
afterAll(async () => {
  await cache.close();
  await database.drop();
});

/** Runs an operation as an operator of the tenant, through the signed-identity context. */
async function run(query: string, variables: Record<string, unknown> = {}) {
  const header = await signIdentity(SECRET, { kind: 'user', userId: '00000000-0000-7000-8000-000000000001', tenantId, role: 'OPERATOR' });
  const contextValue = await subgraph.context({ 'x-ump-identity': header });
  const response = await subgraph.server.executeOperation({ query, variables }, { contextValue });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  expect(response.body.singleResult.errors).toBeUndefined();
  return response.body.singleResult.data as Record<string, any>;
}

async function addDevice(name: string, inactivityTimeoutSeconds?: number) {
  const prisma = database.db.prisma;
  const profile = inactivityTimeoutSeconds ? await prisma.deviceProfile.create({ data: { tenantId, name: `p-${name}`, inactivityTimeoutSeconds } }) : null;
  const { token, tokenHash } = createDeviceToken();
  const device = await prisma.device.create({ data: { tenantId, name, profileId: profile?.id ?? null } });
  await prisma.deviceCredential.create({ data: { deviceId: device.id, tenantId, tokenHash } });
  return { id: device.id, token };
}

const CONNECTIVITY = `query ($id: ID!) { device(id: $id) { connectivity { online lastSeenAt } } }`;

describe('Device.connectivity', () => {
  test('online while the last message is within the profile timeout', async () => {
    const device = await addDevice('with-profile', 60);
    const lastSeen = Date.now() - 30_000;
    await cache.set(deviceLastSeenKey(device.id), String(lastSeen));
    const data = await run(CONNECTIVITY, { id: device.id });
    expect(data.device.connectivity).toEqual({ online: true, lastSeenAt: new Date(lastSeen).toISOString() });
    await cache.set(deviceLastSeenKey(device.id), String(Date.now() - 61_000));
    expect((await run(CONNECTIVITY, { id: device.id })).device.connectivity.online).toBe(false);
  });

  test('without a profile the timeout is 300 s', async () => {
    const device = await addDevice('no-profile');
    await cache.set(deviceLastSeenKey(device.id), String(Date.now() - 299_000));
    expect((await run(CONNECTIVITY, { id: device.id })).device.connectivity.online).toBe(true);
    await cache.set(deviceLastSeenKey(device.id), String(Date.now() - 301_000));
    expect((await run(CONNECTIVITY, { id: device.id })).device.connectivity.online).toBe(false);
  });

  test('a device never seen is offline with no lastSeenAt', async () => {
    const device = await addDevice('never-seen', 60);
    expect((await run(CONNECTIVITY, { id: device.id })).device.connectivity).toEqual({ online: false, lastSeenAt: null });
  });
});

describe('token changes evict the intake cache', () => {
  test('rotateDeviceToken deletes the entry of the old token only', async () => {
    const device = await addDevice('rotated');
    await cache.set(deviceCredentialCacheKey(sha256(device.token)), '{"device":null}');
    const data = await run(`mutation ($id: ID!) { rotateDeviceToken(id: $id) { accessToken } }`, { id: device.id });
    const fresh = data.rotateDeviceToken.accessToken as string;
    expect(fresh).not.toBe(device.token);
    expect(await cache.get(deviceCredentialCacheKey(sha256(device.token)))).toBeNull();
    const stored = await database.db.prisma.deviceCredential.findUnique({ where: { deviceId: device.id } });
    expect(stored?.tokenHash).toBe(sha256(fresh));
  });

  test('deleteDevice deletes its credential and last-seen entries', async () => {
    const device = await addDevice('deleted');
    await cache.set(deviceCredentialCacheKey(sha256(device.token)), '{"device":null}');
    await cache.set(deviceLastSeenKey(device.id), String(Date.now()));
    await run(`mutation ($id: ID!) { deleteDevice(id: $id) }`, { id: device.id });
    expect(await cache.get(deviceCredentialCacheKey(sha256(device.token)))).toBeNull();
    expect(await cache.get(deviceLastSeenKey(device.id))).toBeNull();
  });
});
