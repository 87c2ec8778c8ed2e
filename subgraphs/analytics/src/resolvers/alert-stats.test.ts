import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createClickHouseStore, createLogger, createMetrics, signIdentity, type AlertEvent, type ClickHouseTelemetryStore, type Identity,
} from '@ump/core';
import { createAnalyticsSubgraph } from '../index';

// Tenant.alertStats through the subgraph's own server and signed-identity context, on an
// embedded chDB store.
const SECRET = randomBytes(32).toString('hex');
const DAY = 86_400_000;
const base = Math.floor(Date.now() / DAY) * DAY - DAY;
const window = { from: new Date(base).toISOString(), to: new Date(base + DAY).toISOString() };
const [tenantA, tenantB, rule] = [randomUUID(), randomUUID(), randomUUID()];
let dir: string;
let store: ClickHouseTelemetryStore;
let subgraph: ReturnType<typeof createAnalyticsSubgraph>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ump-alert-stats-'));
  store = createClickHouseStore({ dataDir: dir, database: 'ump_test' });
  await store.migrate();
  const logger = createLogger({ name: 'analytics', level: 'silent', format: 'json' });
  subgraph = createAnalyticsSubgraph({ store, logger, metrics: createMetrics('analytics'), internalSecret: SECRET });
  // Tenant A: a critical alert acknowledged after 30 s and resolved after 90 s, and a minor
  // one still open. Tenant B: one major alert, open, on a rule id A also uses.
  const alert = (tenantId: string, severity: AlertEvent['severity'], raisedAt: number) => ({
    tenantId, ruleId: rule, alertId: randomUUID(), deviceId: randomUUID(), severity, flapping: false, raisedAt,
  });
  const [critical, minor, other] = [alert(tenantA, 'CRITICAL', base + 1_000), alert(tenantA, 'MINOR', base + 5_000), alert(tenantB, 'MAJOR', base)];
  await store.alertHistory.insert([
    { ...critical, eventId: 'a1', type: 'raised', status: 'ACTIVE_UNACK', at: critical.raisedAt },
    { ...critical, eventId: 'a2', type: 'acknowledged', status: 'ACTIVE_ACK', at: critical.raisedAt + 30_000 },
    { ...critical, eventId: 'a3', type: 'resolved', status: 'CLEARED_ACK', at: critical.raisedAt + 90_000 },
    { ...minor, eventId: 'a4', type: 'raised', status: 'ACTIVE_UNACK', at: minor.raisedAt },
    { ...other, eventId: 'b1', type: 'raised', status: 'ACTIVE_UNACK', at: other.raisedAt },
  ]);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const viewerOf = (tenantId: string): Identity => ({ kind: 'user', userId: randomUUID(), tenantId, role: 'VIEWER' });

const QUERY = `query ($tenant: ID!, $from: DateTime!, $to: DateTime!) {
  _entities(representations: [{ __typename: "Tenant", id: $tenant }]) {
    ... on Tenant {
      alertStats(from: $from, to: $to) {
        from to raised bySeverity { severity count } byRule { ruleId count rule { __typename id } } mttaSeconds mttrSeconds open
      }
    }
  }
}`;

/** Runs the query as `identity` through the signed-identity context; returns data and errors. */
async function alertStats(identity: Identity, variables: { tenant: string; from: string; to: string }) {
  const contextValue = await subgraph.context({ 'x-ump-identity': await signIdentity(SECRET, identity) });
  const response = await subgraph.server.executeOperation({ query: QUERY, variables }, { contextValue });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  const { data, errors } = response.body.singleResult;
  return { stats: (data as { _entities: Array<{ alertStats: unknown }> } | null)?._entities[0]?.alertStats, errors };
}

describe('Tenant.alertStats', () => {
  it("answers the caller's tenant", async () => {
    expect(await alertStats(viewerOf(tenantA), { tenant: tenantA, ...window })).toEqual({
      errors: undefined,
      stats: {
        ...window,
        raised: 2,
        bySeverity: [{ severity: 'CRITICAL', count: 1 }, { severity: 'MINOR', count: 1 }],
        // The rule is a reference the gateway completes from the alert subgraph.
        byRule: [{ ruleId: rule, count: 2, rule: { __typename: 'AlertRule', id: rule } }],
        mttaSeconds: 30,
        mttrSeconds: 90,
        open: 1,
      },
    });
  });

  it("never shows one tenant another's alerts, even by naming its id", async () => {
    const own = await alertStats(viewerOf(tenantB), { tenant: tenantB, ...window });
    expect(own.stats).toMatchObject({ raised: 1, bySeverity: [{ severity: 'MAJOR', count: 1 }], byRule: [{ ruleId: rule, count: 1, rule: { __typename: 'AlertRule', id: rule } }], open: 1 });
    expect((await alertStats(viewerOf(tenantB), { tenant: tenantA, ...window })).stats).toEqual({
      ...window, raised: 0, bySeverity: [], byRule: [], mttaSeconds: null, mttrSeconds: null, open: 0,
    });
  });

  it('refuses bad windows with BAD_USER_INPUT naming the field', async () => {
    const backwards = await alertStats(viewerOf(tenantA), { tenant: tenantA, from: window.to, to: window.from });
    expect(backwards.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    const empty = await alertStats(viewerOf(tenantA), { tenant: tenantA, from: window.from, to: window.from });
    expect(empty.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    const tooLong = await alertStats(viewerOf(tenantA), { tenant: tenantA, from: '2020-01-01T00:00:00Z', to: window.to });
    expect(tooLong.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });
  });

  it('needs a caller inside a tenant', async () => {
    const admin = await alertStats({ kind: 'user', userId: randomUUID(), tenantId: null, role: 'PLATFORM_ADMIN' }, { tenant: tenantA, ...window });
    expect(admin.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(admin.stats ?? null).toBeNull();
    const anonymous = await alertStats({ kind: 'anonymous' }, { tenant: tenantA, ...window });
    expect(anonymous.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
