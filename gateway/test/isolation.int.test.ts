import { buildASTSchema, parse } from 'graphql';
import { codes, gql, ok, type Credentials } from './client';
import { eachMode } from './modes';
import { ADMIN, createTenantWithUsers, login, startTestPlatform, type TestPlatform } from './platform';
import { readSupergraph } from '../src/supergraph';

type World = {
  a: Awaited<ReturnType<typeof createTenantWithUsers>>;
  b: Awaited<ReturnType<typeof createTenantWithUsers>>;
  deviceId: string;
  profileId: string;
  apiKeyId: string;
};

interface Probe {
  query: string;
  vars: (w: World) => Record<string, unknown>;
  /** Codes that are acceptable; `data` means "answers, but must not contain tenant A's data". */
  expect: Array<'NOT_FOUND' | 'FORBIDDEN' | 'BAD_USER_INPUT' | 'data'>;
}

// One probe per public operation: tenant B's admin (the strongest tenant role) aims at tenant A.
const probes: Record<string, Probe> = {
  me: { query: '{ me { tenant { id name } } }', vars: () => ({}), expect: ['data'] },
  tenant: { query: 'query($id: ID!) { tenant(id: $id) { id name } }', vars: (w) => ({ id: w.a.tenant.id }), expect: ['NOT_FOUND'] },
  tenants: { query: '{ tenants { edges { node { id } } } }', vars: () => ({}), expect: ['FORBIDDEN'] },
  user: { query: 'query($id: ID!) { user(id: $id) { id email } }', vars: (w) => ({ id: w.a.VIEWER.id }), expect: ['NOT_FOUND'] },
  users: { query: '{ users(first: 100) { totalCount edges { node { id email } } } }', vars: () => ({}), expect: ['data'] },
  device: { query: 'query($id: ID!) { device(id: $id) { id name } }', vars: (w) => ({ id: w.deviceId }), expect: ['NOT_FOUND'] },
  devices: { query: '{ devices(first: 100) { totalCount edges { node { id name } } } }', vars: () => ({}), expect: ['data'] },
  deviceProfile: { query: 'query($id: ID!) { deviceProfile(id: $id) { id } }', vars: (w) => ({ id: w.profileId }), expect: ['NOT_FOUND'] },
  deviceProfiles: { query: '{ deviceProfiles { id name } }', vars: () => ({}), expect: ['data'] },
  login: { query: 'mutation($e: String!) { login(email: $e, password: "guess guess guess") { token } }', vars: (w) => ({ e: w.a.VIEWER.email }), expect: [] },
  createTenant: { query: 'mutation { createTenant(input: { name: "hijack" }) { id } }', vars: () => ({}), expect: ['FORBIDDEN'] },
  updateTenant: { query: 'mutation($id: ID!) { updateTenant(id: $id, input: { name: "pwned" }) { id } }', vars: (w) => ({ id: w.a.tenant.id }), expect: ['NOT_FOUND'] },
  createUser: {
    query: 'mutation($t: ID!) { createUser(input: { tenantId: $t, email: "mole@example.com", password: "a long enough password", role: VIEWER }) { id } }',
    vars: (w) => ({ t: w.a.tenant.id }),
    expect: ['FORBIDDEN'],
  },
  updateUserRole: { query: 'mutation($id: ID!) { updateUserRole(id: $id, role: VIEWER) { id } }', vars: (w) => ({ id: w.a.OPERATOR.id }), expect: ['NOT_FOUND'] },
  deleteUser: { query: 'mutation($id: ID!) { deleteUser(id: $id) }', vars: (w) => ({ id: w.a.OPERATOR.id }), expect: ['NOT_FOUND'] },
  changePassword: { query: 'mutation { changePassword(currentPassword: "x", newPassword: "another long password") }', vars: () => ({}), expect: [] },
  createApiKey: { query: 'mutation { createApiKey(input: { name: "mine", role: VIEWER }) { apiKey { tenant { id } } } }', vars: () => ({}), expect: ['data'] },
  revokeApiKey: { query: 'mutation($id: ID!) { revokeApiKey(id: $id) { id } }', vars: (w) => ({ id: w.apiKeyId }), expect: ['NOT_FOUND'] },
  createDeviceProfile: { query: 'mutation { createDeviceProfile(input: { name: "b-profile" }) { id } }', vars: () => ({}), expect: ['data'] },
  updateDeviceProfile: { query: 'mutation($id: ID!) { updateDeviceProfile(id: $id, input: { name: "pwned" }) { id } }', vars: (w) => ({ id: w.profileId }), expect: ['NOT_FOUND'] },
  deleteDeviceProfile: { query: 'mutation($id: ID!) { deleteDeviceProfile(id: $id) }', vars: (w) => ({ id: w.profileId }), expect: ['NOT_FOUND'] },
  createDevice: {
    query: 'mutation($p: ID!) { createDevice(input: { name: "b-device", profileId: $p }) { device { id } } }',
    vars: (w) => ({ p: w.profileId }),
    expect: ['BAD_USER_INPUT'],
  },
  updateDevice: { query: 'mutation($id: ID!) { updateDevice(id: $id, input: { name: "pwned" }) { id } }', vars: (w) => ({ id: w.deviceId }), expect: ['NOT_FOUND'] },
  deleteDevice: { query: 'mutation($id: ID!) { deleteDevice(id: $id) }', vars: (w) => ({ id: w.deviceId }), expect: ['NOT_FOUND'] },
  updateDeviceAttributes: { query: 'mutation($id: ID!) { updateDeviceAttributes(id: $id, attributes: { x: 1 }) { id } }', vars: (w) => ({ id: w.deviceId }), expect: ['NOT_FOUND'] },
  rotateDeviceToken: { query: 'mutation($id: ID!) { rotateDeviceToken(id: $id) { accessToken } }', vars: (w) => ({ id: w.deviceId }), expect: ['NOT_FOUND'] },
};

it('has an isolation probe for every public query and mutation', () => {
  const schema = buildASTSchema(parse(readSupergraph()), { assumeValidSDL: true });
  const fields = [schema.getQueryType(), schema.getMutationType()].flatMap((type) =>
    Object.values(type!.getFields())
      .filter((f) => !f.astNode?.directives?.some((d) => d.name.value === 'inaccessible'))
      .map((f) => f.name),
  );
  expect(fields.filter((name) => !probes[name]).sort()).toEqual([]);
});

eachMode('tenant isolation', (mode) => {
  let p: TestPlatform;
  let w: World;
  let snapshot: string;
  const aView = (creds: Credentials) =>
    ok(p.url, '{ me { tenant { id name } } devices(first: 100) { edges { node { id name } } } deviceProfiles { id name } users(first: 100) { edges { node { id email role } } } }', {}, creds);

  beforeAll(async () => {
    p = await startTestPlatform(mode);
    const admin = await login(p.url, ADMIN.email, ADMIN.password);
    const a = await createTenantWithUsers(p.url, admin);
    const b = await createTenantWithUsers(p.url, admin);
    const profileId = (await ok(p.url, 'mutation { createDeviceProfile(input: { name: "a-profile" }) { id } }', {}, a.OPERATOR)).createDeviceProfile.id;
    const deviceId = (await ok(p.url, 'mutation($p: ID!) { createDevice(input: { name: "a-secret-device", profileId: $p }) { device { id } } }', { p: profileId }, a.OPERATOR)).createDevice.device.id;
    const apiKeyId = (await ok(p.url, 'mutation { createApiKey(input: { name: "a-key", role: VIEWER }) { apiKey { id } } }', {}, a.TENANT_ADMIN)).createApiKey.apiKey.id;
    w = { a, b, deviceId, profileId, apiKeyId };
    snapshot = JSON.stringify(await aView(a.TENANT_ADMIN));
  });
  afterAll(() => p?.close());

  it.each(Object.keys(probes))('%s: tenant B gets nothing of tenant A', async (name) => {
    const probe = probes[name]!;
    const result = await gql(p.url, probe.query, probe.vars(w), w.b.TENANT_ADMIN);
    const body = JSON.stringify(result.data ?? {});
    for (const secret of [w.a.tenant.id, w.a.tenant.name, w.deviceId, w.profileId, w.apiKeyId, w.a.VIEWER.email, 'a-secret-device']) {
      expect(body).not.toContain(secret);
    }
    if (probe.expect.includes('data')) expect(result.errors).toBeUndefined();
    else if (probe.expect.length) expect(codes(result)).toEqual(probe.expect);
  });

  it("leaves tenant A's data exactly as it was", async () => {
    expect(JSON.stringify(await aView(w.a.TENANT_ADMIN))).toBe(snapshot);
  });

  it("lets an API key of tenant B see none of tenant A's devices", async () => {
    const key = (await ok(p.url, 'mutation { createApiKey(input: { name: "b-key", role: VIEWER }) { key } }', {}, w.b.TENANT_ADMIN)).createApiKey.key;
    const res = await gql(p.url, 'query($id: ID!) { device(id: $id) { id } }', { id: w.deviceId }, { apiKey: key });
    expect(codes(res)).toEqual(['NOT_FOUND']);
  });
});
