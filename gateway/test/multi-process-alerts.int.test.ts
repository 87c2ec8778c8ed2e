import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { randomSecret } from '@ump/core';
import { describeWith, testServiceUrls } from '@ump/core/src/testing/services';
import { eventually } from '@ump/core/src/testing/eventually';
import { createTestDatabase } from '@ump/db/src/testing';
import { postTelemetry } from '@ump/ingest/src/intake/testkit';
import { ok } from './client';
import { createProcessGroup, freePort } from './processes';
import { subscribeToAlerts } from './subscriber';

// The alert path as docker-compose runs it: intake, rule worker, alert subgraph and gateway
// as separate processes, talking only through Kafka, Redis and PostgreSQL.
describeWith('postgres', 'redis', 'kafka')('multi-process alerts', () => {
  const group = createProcessGroup();
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const ports = { gateway: 0, tenant: 0, device: 0, alert: 0, rules: 0, intake: 0, mqtt: 0 };

  beforeAll(async () => {
    database = await createTestDatabase();
    for (const name of Object.keys(ports) as Array<keyof typeof ports>) ports[name] = await freePort();
    const shared = {
      DATABASE_URL: database.url,
      REDIS_URL: testServiceUrls.redis,
      KAFKA_BROKERS: new URL(testServiceUrls.kafka).host,
      // Fresh topics and consumer groups: nothing left over from an earlier run is consumed.
      KAFKA_TOPIC_PREFIX: `ump-mp-${randomBytes(4).toString('hex')}.`,
      JWT_SECRET: randomSecret(),
      UMP_INTERNAL_SECRET: randomSecret(),
      HOST: '127.0.0.1',
    };
    group.start('subgraphs/tenant/src/main.ts', { ...shared, PORT: String(ports.tenant), UMP_ADMIN_EMAIL: 'ops@ump.test', UMP_ADMIN_PASSWORD: 'multi process password' });
    group.start('subgraphs/device/src/main.ts', { ...shared, PORT: String(ports.device) });
    group.start('subgraphs/alert/src/main.ts', { ...shared, PORT: String(ports.alert) });
    group.start('ingest/src/rules/main.ts', { ...shared, PORT: String(ports.rules) });
    group.start('ingest/src/intake/main.ts', { ...shared, INTAKE_HTTP_PORT: String(ports.intake), MQTT_PORT: String(ports.mqtt) });
    // All at once, as docker-compose starts them: on a fresh Kafka they race to create the
    // same topics, and each must wait for the winner's instead of failing its start.
    group.start('gateway/src/main.ts', {
      ...shared,
      PORT: String(ports.gateway),
      SUBGRAPH_TENANT_URL: `http://127.0.0.1:${ports.tenant}/graphql`,
      SUBGRAPH_DEVICE_URL: `http://127.0.0.1:${ports.device}/graphql`,
      SUBGRAPH_ALERT_URL: `http://127.0.0.1:${ports.alert}/graphql`,
    });
    await group.healthy([ports.tenant, ports.device, ports.alert, ports.rules, ports.intake, ports.gateway]);
  }, 180_000);

  afterAll(async () => {
    group.kill();
    await database?.drop();
  });

  it('raises an alert from a device reading and pushes it to a subscriber of the gateway process', async () => {
    const url = `http://127.0.0.1:${ports.gateway}/graphql`;
    const admin = { token: (await ok(url, 'mutation { login(email: "ops@ump.test", password: "multi process password") { token } }')).login.token };
    const tenant = (await ok(url, 'mutation { createTenant(input: { name: "split" }) { id } }', {}, admin)).createTenant;
    await ok(url, 'mutation($t: ID!) { createUser(input: { tenantId: $t, email: "op@split.io", password: "a long enough password", role: OPERATOR }) { id } }', { t: tenant.id }, admin);
    const op = { token: (await ok(url, 'mutation { login(email: "op@split.io", password: "a long enough password") { token } }')).login.token };
    const { device, accessToken } = (await ok(url, 'mutation { createDevice(input: { name: "pump-3" }) { device { id } accessToken } }', {}, op)).createDevice;
    await ok(
      url,
      'mutation($i: CreateAlertRuleInput!) { createAlertRule(input: $i) { id } }',
      { i: { name: 'pressure', deviceId: device.id, severity: 'CRITICAL', condition: { key: 'bar', op: 'GT', value: 6 } } },
      op,
    );
    const subscriber = await subscribeToAlerts(url, op);
    try {
      const intake = `http://127.0.0.1:${ports.intake}`;
      const raised = await eventually(
        async () => {
          expect((await postTelemetry(intake, accessToken, { bar: 7.5 })).status).toBe(202);
          return subscriber.received.find((e) => e.type === 'RAISED') ?? null;
        },
        { timeoutMs: 60_000, intervalMs: 1_000, what: 'the RAISED event through Kafka and the gateway process' },
      );
      expect(raised.alert).toMatchObject({ severity: 'CRITICAL', status: 'ACTIVE_UNACK', device: { id: device.id, name: 'pump-3' }, rule: { name: 'pressure' } });
      expect(subscriber.errors).toEqual([]);
    } finally {
      await subscriber.close();
    }
  });

  it('shuts every process down cleanly on SIGTERM', async () => {
    const exits = group.children.map((child) => once(child, 'exit'));
    for (const child of group.children) child.kill('SIGTERM');
    expect((await Promise.all(exits)).map(([code]) => code)).toEqual(group.children.map(() => 0));
  });
});
