import { once } from 'node:events';
import { randomSecret } from '@ump/core';
import { describeWith, testServiceUrls } from '@ump/core/src/testing/services';
import { createTestDatabase } from '@ump/db/src/testing';
import { codes, gql, ok } from './client';
import { createProcessGroup, freePort } from './processes';

// Each service as its own process, configured only through its environment, as in docker-compose.
describeWith('postgres', 'redis')('multi-process mode', () => {
  const group = createProcessGroup();
  const { children, start } = group;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const ports = { gateway: 0, tenant: 0, device: 0 };

  beforeAll(async () => {
    database = await createTestDatabase();
    for (const name of Object.keys(ports) as Array<keyof typeof ports>) ports[name] = await freePort();
    const shared = {
      DATABASE_URL: database.url,
      REDIS_URL: testServiceUrls.redis,
      JWT_SECRET: randomSecret(),
      UMP_INTERNAL_SECRET: randomSecret(),
      HOST: '127.0.0.1',
      // As the Docker image runs them: Apollo Server behaves differently outside tests.
      NODE_ENV: 'production',
    };
    start('subgraphs/tenant/src/main.ts', { ...shared, PORT: String(ports.tenant), UMP_ADMIN_EMAIL: 'ops@ump.test', UMP_ADMIN_PASSWORD: 'multi process password' });
    start('subgraphs/device/src/main.ts', { ...shared, PORT: String(ports.device) });
    start('gateway/src/main.ts', {
      ...shared,
      PORT: String(ports.gateway),
      SUBGRAPH_TENANT_URL: `http://127.0.0.1:${ports.tenant}/graphql`,
      SUBGRAPH_DEVICE_URL: `http://127.0.0.1:${ports.device}/graphql`,
    });
    await group.healthy(Object.values(ports));
  });

  afterAll(async () => {
    group.kill();
    await database?.drop();
  });

  it('serves the federated API across three processes', async () => {
    const url = `http://127.0.0.1:${ports.gateway}/graphql`;
    const { token } = (await ok(url, 'mutation { login(email: "ops@ump.test", password: "multi process password") { token } }')).login;
    const admin = { token };
    const tenant = (await ok(url, 'mutation { createTenant(input: { name: "split" }) { id } }', {}, admin)).createTenant;
    await ok(url, 'mutation($t: ID!) { createUser(input: { tenantId: $t, email: "op@split.io", password: "a long enough password", role: OPERATOR }) { id } }', { t: tenant.id }, admin);
    const op = { token: (await ok(url, 'mutation { login(email: "op@split.io", password: "a long enough password") { token } }')).login.token };
    await ok(url, 'mutation { createDevice(input: { name: "far-away" }) { device { id } } }', {}, op);
    const data = await ok(url, '{ devices { totalCount edges { node { name tenant { name } } } } }', {}, op);
    expect(data.devices).toEqual({ totalCount: 1, edges: [{ node: { name: 'far-away', tenant: { name: 'split' } } }] });
  });

  it('has each subgraph refuse requests that did not come through the gateway', async () => {
    for (const port of [ports.tenant, ports.device]) {
      const res = await gql(`http://127.0.0.1:${port}/graphql`, '{ __typename }');
      expect(codes(res)).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('exposes Prometheus metrics on every service', async () => {
    for (const port of Object.values(ports)) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(text).toContain('ump_graphql_requests_total');
      expect(text).toContain('process_cpu_seconds_total');
    }
  });

  it('shuts every process down cleanly on SIGTERM', async () => {
    const exits = children.map((child) => once(child, 'exit'));
    for (const child of children) child.kill('SIGTERM');
    const codes = (await Promise.all(exits)).map(([code]) => code);
    expect(codes).toEqual([0, 0, 0]);
  });
});
