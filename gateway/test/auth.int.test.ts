import { codes, gql, ok } from './client';
import { eachMode } from './modes';
import { ADMIN, createTenantWithUsers, login, startTestPlatform, type TestPlatform } from './platform';

const ME = '{ me { role tenant { id } user { email } apiKey { id name } } }';
const CREATE_KEY = 'mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key apiKey { id prefix role } } }';
const CREATE_DEVICE = 'mutation($i: CreateDeviceInput!) { createDevice(input: $i) { device { id name } accessToken } }';

eachMode('authentication and roles', (mode) => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startTestPlatform(mode);
  });
  afterAll(() => p?.close());

  it('creates the platform admin on first start, who can sign in', async () => {
    const admin = await login(p.url, ADMIN.email, ADMIN.password);
    const data = await ok(p.url, ME, {}, admin);
    expect(data.me).toEqual({ role: 'PLATFORM_ADMIN', tenant: null, user: { email: ADMIN.email }, apiKey: null });
  });

  it('refuses a wrong password and an unknown email alike', async () => {
    const wrong = await gql(p.url, 'mutation { login(email: "root@ump.test", password: "nope nope nope") { token } }');
    const unknown = await gql(p.url, 'mutation { login(email: "ghost@ump.test", password: "nope nope nope") { token } }');
    expect(codes(wrong)).toEqual(['UNAUTHENTICATED']);
    expect(codes(unknown)).toEqual(['UNAUTHENTICATED']);
    expect(wrong.errors![0]!.message).toBe(unknown.errors![0]!.message);
  });

  it('refuses anonymous callers and bad tokens', async () => {
    expect(codes(await gql(p.url, ME))).toEqual(['UNAUTHENTICATED']);
    const bad = await gql(p.url, ME, {}, { token: 'not.a.jwt' });
    expect(codes(bad)).toEqual(['UNAUTHENTICATED']);
    expect(bad.status).toBe(401);
  });

  it('lets only platform admins create tenants', async () => {
    const admin = await login(p.url, ADMIN.email, ADMIN.password);
    const t = await createTenantWithUsers(p.url, admin);
    const res = await gql(p.url, 'mutation { createTenant(input: { name: "sneaky" }) { id } }', {}, t.TENANT_ADMIN);
    expect(codes(res)).toEqual(['FORBIDDEN']);
  });

  it('issues API keys shown once, usable as Bearer or x-api-key, revocable at once', async () => {
    const admin = await login(p.url, ADMIN.email, ADMIN.password);
    const t = await createTenantWithUsers(p.url, admin);
    const created = (await ok(p.url, CREATE_KEY, { i: { name: 'partner', role: 'OPERATOR' } }, t.TENANT_ADMIN)).createApiKey;
    expect(created.key).toMatch(/^ump_[0-9a-f]{32}_/);
    expect(created.key.startsWith(created.apiKey.prefix)).toBe(true);

    const viaBearer = await ok(p.url, ME, {}, { token: created.key });
    expect(viaBearer.me).toMatchObject({ role: 'OPERATOR', tenant: { id: t.tenant.id }, apiKey: { id: created.apiKey.id } });
    const viaHeader = await ok(p.url, CREATE_DEVICE, { i: { name: 'from-partner' } }, { apiKey: created.key });
    expect(viaHeader.createDevice.device.name).toBe('from-partner');

    // The list never shows the secret again.
    const listed = await ok(p.url, 'query($id: ID!) { tenant(id: $id) { apiKeys { id prefix revokedAt } } }', { id: t.tenant.id }, t.TENANT_ADMIN);
    expect(JSON.stringify(listed)).not.toContain(created.key);

    await ok(p.url, 'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', { id: created.apiKey.id }, t.TENANT_ADMIN);
    expect(codes(await gql(p.url, ME, {}, { apiKey: created.key }))).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses a key whose secret was altered', async () => {
    const admin = await login(p.url, ADMIN.email, ADMIN.password);
    const t = await createTenantWithUsers(p.url, admin);
    const { key } = (await ok(p.url, CREATE_KEY, { i: { name: 'k', role: 'VIEWER' } }, t.TENANT_ADMIN)).createApiKey;
    await ok(p.url, ME, {}, { apiKey: key }); // now cached
    const forged = key.slice(0, -4) + (key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(codes(await gql(p.url, ME, {}, { apiKey: forged }))).toEqual(['UNAUTHENTICATED']);
  });

  it('keeps VIEWERs (users and keys) from mutating, and roles from escalating', async () => {
    const admin = await login(p.url, ADMIN.email, ADMIN.password);
    const t = await createTenantWithUsers(p.url, admin);
    expect(codes(await gql(p.url, CREATE_DEVICE, { i: { name: 'x' } }, t.VIEWER))).toEqual(['FORBIDDEN']);
    const viewerKey = (await ok(p.url, CREATE_KEY, { i: { name: 'ro', role: 'VIEWER' } }, t.TENANT_ADMIN)).createApiKey.key;
    expect(codes(await gql(p.url, CREATE_DEVICE, { i: { name: 'x' } }, { apiKey: viewerKey }))).toEqual(['FORBIDDEN']);
    // An operator cannot mint keys or users; a tenant admin cannot mint platform admins.
    expect(codes(await gql(p.url, CREATE_KEY, { i: { name: 'up', role: 'TENANT_ADMIN' } }, t.OPERATOR))).toEqual(['FORBIDDEN']);
    const escalate = await gql(
      p.url,
      'mutation { createUser(input: { email: "boss@example.com", password: "a long enough password", role: PLATFORM_ADMIN }) { id } }',
      {},
      t.TENANT_ADMIN,
    );
    expect(codes(escalate)).toEqual(['FORBIDDEN']);
  });

  it('lets users change their password', async () => {
    const admin = await login(p.url, ADMIN.email, ADMIN.password);
    const t = await createTenantWithUsers(p.url, admin);
    const change = 'mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }';
    expect(codes(await gql(p.url, change, { c: 'wrong', n: 'another long password' }, t.VIEWER))).toEqual(['UNAUTHENTICATED']);
    await ok(p.url, change, { c: 'a long enough password', n: 'another long password' }, t.VIEWER);
    await login(p.url, t.VIEWER.email, 'another long password');
  });
});
