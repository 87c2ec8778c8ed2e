import { createHttpServer, createLogger, createMetrics, graphqlRoute, signIdentity, IDENTITY_HEADER } from '@ump/core';
import { createQueryCounter } from '@ump/db';
import { ok } from './client';
import { eachMode } from './modes';
import { ADMIN, createTenantWithUsers, login, startTestPlatform, type TestPlatform } from './platform';

const ENTITIES = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Device { id name } } }';

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> } };
}

eachMode('federation', (mode) => {
  const counter = createQueryCounter();
  let p: TestPlatform;
  let t: Awaited<ReturnType<typeof createTenantWithUsers>>;
  let direct: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    // The rule worker reloads alert rules in the background every 30 s: not part of any request.
    p = await startTestPlatform(mode, { onQuery: (event) => /"alert_rules"/.test(event.query) || counter.onQuery(event) });
    t = await createTenantWithUsers(p.url, await login(p.url, ADMIN.email, ADMIN.password));
    const profiles: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      profiles.push((await ok(p.url, 'mutation($n: String!) { createDeviceProfile(input: { name: $n }) { id } }', { n: name }, t.OPERATOR)).createDeviceProfile.id);
    }
    for (let i = 0; i < 30; i++) {
      await ok(p.url, 'mutation($i: CreateDeviceInput!) { createDevice(input: $i) { device { id } } }', { i: { name: `d${i}`, profileId: profiles[i % 3] } }, t.OPERATOR);
    }
    // The device subgraph on its own port, as in multi-process mode.
    const device = p.platform.subgraphs.device;
    const logger = createLogger({ name: 'test', level: 'silent', format: 'json' });
    const http = createHttpServer({
      routes: { '/graphql': graphqlRoute(device.server, (req) => device.context(req.headers)) },
      registry: createMetrics('test').registry,
      logger,
    });
    const port = await http.listen(0, '127.0.0.1');
    direct = { url: `http://127.0.0.1:${port}/graphql`, close: () => http.close() };
  });
  afterAll(async () => {
    await direct?.close();
    await p?.close();
  });

  it('resolves a page of devices with nested profiles and tenants in a constant number of SQL statements', async () => {
    const query = 'query($n: Int) { devices(first: $n) { edges { node { name profile { name deviceCount } tenant { name } } } } }';
    counter.reset();
    const small = await counter.measure(() => ok(p.url, query, { n: 3 }, t.VIEWER));
    const large = await counter.measure(() => ok(p.url, query, { n: 30 }, t.VIEWER));
    expect(large.result.devices.edges).toHaveLength(30);
    expect(large.result.devices.edges[0].node.tenant.name).toBe(t.tenant.name);
    expect(large.result.devices.edges[0].node.profile.deviceCount).toBe(10);
    // page + count, profiles, device counts, tenants: one statement each, whatever the page size.
    expect(large.count).toBe(small.count);
    expect(large.count).toBeLessThanOrEqual(5);
  });

  it('batches _entities references into one DataLoader fetch', async () => {
    const ids = (await ok(p.url, '{ devices(first: 30) { edges { node { id } } } }', {}, t.VIEWER)).devices.edges.map((e: any) => e.node.id);
    const header = await signIdentity(p.platform.secrets.internalSecret, { kind: 'user', userId: t.VIEWER.id, tenantId: t.tenant.id, role: 'VIEWER' });
    const { result, count } = await counter.measure(() =>
      post(direct.url, { query: ENTITIES, variables: { r: ids.map((id: string) => ({ __typename: 'Device', id })) } }, { [IDENTITY_HEADER]: header }),
    );
    expect(result.body.data._entities).toHaveLength(30);
    expect(count).toBe(1);
  });

  it('refuses a subgraph request without a valid gateway signature', async () => {
    const query = { query: '{ devices { totalCount } }' };
    const unsigned = await post(direct.url, query);
    expect(unsigned.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(unsigned.body.data ?? null).toBeNull();
    const forged = await signIdentity('x'.repeat(40), { kind: 'user', userId: t.VIEWER.id, tenantId: t.tenant.id, role: 'TENANT_ADMIN' });
    const wrongKey = await post(direct.url, query, { [IDENTITY_HEADER]: forged });
    expect(wrongKey.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it("answers _entities for another tenant's devices with null", async () => {
    const ids = (await ok(p.url, '{ devices(first: 1) { edges { node { id } } } }', {}, t.VIEWER)).devices.edges.map((e: any) => e.node.id);
    const stranger = await signIdentity(p.platform.secrets.internalSecret, { kind: 'user', userId: t.VIEWER.id, tenantId: '0190f4a0-0000-7000-8000-000000000000', role: 'TENANT_ADMIN' });
    const res = await post(direct.url, { query: ENTITIES, variables: { r: [{ __typename: 'Device', id: ids[0] }] } }, { [IDENTITY_HEADER]: stranger });
    expect(res.body.data._entities).toEqual([null]);
  });
});
