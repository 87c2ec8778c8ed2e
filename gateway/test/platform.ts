import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createLogger } from '@ump/core';
import { testServiceUrls } from '@ump/core/src/testing/services';
import { createTestDatabase } from '@ump/db/src/testing';
import { startPlatform, type PlatformOptions } from '../src/embedded/platform';
import { ok, type Credentials } from './client';

export type Mode = 'embedded' | 'postgres';

export const ADMIN = { email: 'root@ump.test', password: 'correct horse battery staple' };

/**
 * The whole platform on free ports: `embedded` runs PGlite, the in-process cache and bus and
 * chDB in a temporary directory; `postgres` runs a fresh test database, Redis under a random
 * key prefix and Kafka under a random topic prefix (telemetry still lands in chDB: the only
 * ClickHouse server here is too old for the store). `close()` removes everything it made.
 */
export async function startTestPlatform(mode: Mode, extra: Partial<Pick<PlatformOptions, 'onQuery' | 'ota'>> = {}) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ump-test-'));
  const database = mode === 'postgres' ? await createTestDatabase() : undefined;
  const suffix = randomBytes(4).toString('hex');
  const platform = await startPlatform({
    dataDir,
    databaseUrl: database?.url,
    redisUrl: mode === 'postgres' ? testServiceUrls.redis : undefined,
    cachePrefix: `ump-test-${suffix}:`,
    kafka: mode === 'postgres' ? { brokers: [new URL(testServiceUrls.kafka).host], partitions: 3, topicPrefix: `ump-test-${suffix}.` } : undefined,
    // Free ports: 1883 and 4080 may be taken on a developer's machine (Mosquitto holds 1883).
    intake: { httpPort: 0, mqttPort: 0, host: '127.0.0.1' },
    port: 0,
    host: '127.0.0.1',
    jwtTtlSeconds: 3600,
    admin: ADMIN,
    limits: { maxDepth: 12, maxCost: 20_000 },
    logger: createLogger({ name: 'test', level: 'silent', format: 'json' }),
    ...extra,
  });
  const url = `http://127.0.0.1:${platform.port}/graphql`;
  return {
    url,
    intakeUrl: `http://127.0.0.1:${platform.intake.httpPort}`,
    mqttUrl: `mqtt://127.0.0.1:${platform.intake.mqttPort}`,
    platform,
    async close() {
      await platform.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
export type TestPlatform = Awaited<ReturnType<typeof startTestPlatform>>;

const LOGIN = 'mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }';

export async function login(url: string, email: string, password: string): Promise<Credentials> {
  const data = await ok(url, LOGIN, { email, password });
  return { token: data.login.token as string };
}

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}-${randomBytes(3).toString('hex')}`;

/**
 * Fixtures that compose step by step: a tenant with one user per role, each signed in.
 */
export async function createTenantWithUsers(url: string, admin: Credentials) {
  const created = await ok(url, 'mutation($n: String!) { createTenant(input: { name: $n }) { id name } }', { n: unique('tenant') }, admin);
  const tenant = created.createTenant as { id: string; name: string };
  const users: Record<'TENANT_ADMIN' | 'OPERATOR' | 'VIEWER', Credentials & { id: string; email: string }> = {} as never;
  for (const role of ['TENANT_ADMIN', 'OPERATOR', 'VIEWER'] as const) {
    const email = `${unique(role.toLowerCase())}@example.com`;
    const password = 'a long enough password';
    const created = await ok(
      url,
      'mutation($i: CreateUserInput!) { createUser(input: $i) { id } }',
      { i: { tenantId: tenant.id, email, password, role } },
      admin,
    );
    users[role] = { ...(await login(url, email, password)), id: created.createUser.id, email };
  }
  return { tenant, ...users };
}
