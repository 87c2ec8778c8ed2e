import { gql, ok } from './client';
import { ADMIN, createTenantWithUsers, login, startTestPlatform, type TestPlatform } from './platform';

// Validation is mode-independent (it happens before any store is called): embedded only.
describe('bad input gets BAD_USER_INPUT naming the field', () => {
  let p: TestPlatform;
  let t: Awaited<ReturnType<typeof createTenantWithUsers>>;
  let admin: Awaited<ReturnType<typeof login>>;
  beforeAll(async () => {
    p = await startTestPlatform('embedded');
    admin = await login(p.url, ADMIN.email, ADMIN.password);
    t = await createTenantWithUsers(p.url, admin);
  });
  afterAll(() => p?.close());

  const cases: Array<[string, string, Record<string, unknown>, string, 'admin' | 'operator']> = [
    ['empty device name', 'mutation($i: CreateDeviceInput!) { createDevice(input: $i) { device { id } } }', { i: { name: '   ' } }, 'input.name', 'operator'],
    ['oversize device name', 'mutation($i: CreateDeviceInput!) { createDevice(input: $i) { device { id } } }', { i: { name: 'x'.repeat(201) } }, 'input.name', 'operator'],
    ['bad label', 'mutation($i: CreateDeviceInput!) { createDevice(input: $i) { device { id } } }', { i: { name: 'ok', labels: ['has space'] } }, 'input.labels.0', 'operator'],
    ['attributes not an object', 'mutation($i: CreateDeviceInput!) { createDevice(input: $i) { device { id } } }', { i: { name: 'ok', attributes: [1, 2] } }, 'input.attributes', 'operator'],
    ['unknown profile id', 'mutation($i: CreateDeviceInput!) { createDevice(input: $i) { device { id } } }', { i: { name: 'ok', profileId: '0190f4a0-0000-7000-8000-000000000000' } }, 'input.profileId', 'operator'],
    ['malformed profile id', 'mutation($i: CreateDeviceInput!) { createDevice(input: $i) { device { id } } }', { i: { name: 'ok', profileId: 'nope' } }, 'input.profileId', 'operator'],
    ['malformed device id', 'query { device(id: "42") { id } }', {}, 'id', 'operator'],
    ['malformed cursor', 'query { devices(after: "garbage") { totalCount } }', {}, 'after', 'operator'],
    ['page too large', 'query { devices(first: 1000) { totalCount } }', {}, 'first', 'operator'],
    ['negative page', 'query { devices(first: -1) { totalCount } }', {}, 'first', 'operator'],
    ['search too long', 'query($f: DeviceFilter) { devices(filter: $f) { totalCount } }', { f: { search: 'x'.repeat(201) } }, 'filter.search', 'operator'],
    ['profile timeout too small', 'mutation { createDeviceProfile(input: { name: "p", inactivityTimeoutSeconds: 1 }) { id } }', {}, 'input.inactivityTimeoutSeconds', 'operator'],
    ['empty tenant name', 'mutation { createTenant(input: { name: "" }) { id } }', {}, 'input.name', 'admin'],
    ['bad email', 'mutation($t: ID) { createUser(input: { tenantId: $t, email: "not-an-email", password: "a long enough password", role: VIEWER }) { id } }', {}, 'input.email', 'admin'],
    ['short password', 'mutation { createUser(input: { email: "x@example.com", password: "short", role: VIEWER }) { id } }', {}, 'input.password', 'admin'],
    ['unknown tenant id', 'mutation { createUser(input: { tenantId: "0190f4a0-0000-7000-8000-000000000000", email: "y@example.com", password: "a long enough password", role: VIEWER }) { id } }', {}, 'input.tenantId', 'admin'],
    ['wrong variable type', 'mutation($i: CreateDeviceInput!) { createDevice(input: $i) { device { id } } }', { i: { name: 123 } }, 'input.name', 'operator'],
    ['unknown enum value', 'mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key } }', { i: { name: 'k', role: 'GOD' } }, 'input.role', 'operator'],
    ['wrong literal type', 'mutation { createDevice(input: { name: 42 }) { device { id } } }', {}, 'input.name', 'operator'],
    ['unknown input field', 'mutation { createDevice(input: { name: "a", colour: "red" }) { device { id } } }', {}, 'input.colour', 'operator'],
  ];

  it.each(cases)('%s', async (_name, query, variables, field, who) => {
    const creds = who === 'admin' ? admin : t.OPERATOR;
    const res = await gql(p.url, query, variables, creds);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions?.field).toBe(field);
  });

  it('names the field in the message too', async () => {
    const res = await gql(p.url, 'mutation { createDevice(input: { name: "" }) { device { id } } }', {}, t.OPERATOR);
    expect(res.errors?.[0]?.message).toMatch(/^input\.name: /);
  });

  it('refuses a syntax error with BAD_USER_INPUT', async () => {
    const res = await gql(p.url, 'query { devices(', {}, t.OPERATOR);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses queries past the depth limit and the cost limit before resolving them', async () => {
    const deep = `{ me { tenant { users { edges { node { tenant { users { edges { node { tenant { users { edges { node { id } } } } } } } } } } } } } }`;
    const depth = await gql(p.url, deep, {}, admin);
    expect(depth.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(depth.errors?.[0]?.message).toMatch(/depth \d+ exceeds the limit of 12/);
    const costly = '{ tenants(first: 100) { edges { node { users(first: 100) { edges { node { id email tenant { name } } } } } } } }';
    const cost = await gql(p.url, costly, {}, admin);
    expect(cost.errors?.[0]?.message).toMatch(/cost \d+ exceeds the limit of 20000/);
    // A normal page is fine.
    await ok(p.url, '{ tenants(first: 20) { edges { node { name } } } }', {}, admin);
  });
});
