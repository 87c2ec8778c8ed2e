import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createClickHouseStore, createLogger, createMetrics, signIdentity, type AlertEvent, type ClickHouseTelemetryStore, type Identity,
  type RolloutEvent,
} from '@ump/core';
import { Kind, parse, type FieldDefinitionNode } from 'graphql';
import { createAnalyticsSubgraph, typeDefs } from '../index';

// Rollout.stageStats and Tenant.firmwareAlertRates through the subgraph's own server and
// signed-identity context, on an embedded chDB store.
const SECRET = randomBytes(32).toString('hex');
const H = 3_600_000;
const DAY = 24 * H;
const base = Math.floor(Date.now() / DAY) * DAY - DAY;
const window = { from: new Date(base).toISOString(), to: new Date(base + DAY).toISOString() };
const [tenantA, tenantB] = [randomUUID(), randomUUID()];
const [rolloutA, rolloutB] = [randomUUID(), randomUUID()];
// A's devices: a1 updated to 2.0.0 at 06:00, a2 failed (stays unversioned), a3 still
// downloading in stage 1. B's device b1 updated to 3.0.0 in B's rollout.
const [a1, a2, a3, b1] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
let dir: string;
let store: ClickHouseTelemetryStore;
let subgraph: ReturnType<typeof createAnalyticsSubgraph>;

let seq = 0;
const progress = (tenantId: string, rolloutId: string, deviceId: string, stageIndex: number, deviceStatus: string, at: number, firmwareVersion: string): RolloutEvent => ({
  eventId: `e-${++seq}`, type: 'device_progress', tenantId, rolloutId, state: 'RUNNING', stageIndex, deviceId, deviceStatus, firmwareVersion, at: base + at,
});
const started = (tenantId: string, rolloutId: string, stageIndex: number, at: number): RolloutEvent => ({
  eventId: `e-${++seq}`, type: 'stage_started', tenantId, rolloutId, state: 'RUNNING', stageIndex, at: base + at,
});
const raised = (tenantId: string, deviceId: string, at: number): AlertEvent => ({
  eventId: `e-${++seq}`, type: 'raised', tenantId, deviceId, alertId: randomUUID(), ruleId: randomUUID(), severity: 'MAJOR',
  status: 'ACTIVE_UNACK', flapping: false, raisedAt: base + at, at: base + at,
});
/** One message in each of the first `hours` hours of the day. */
const telemetry = (tenantId: string, deviceId: string, hours: number) =>
  Array.from({ length: hours }, (_, h) => ({ messageId: randomUUID(), tenantId, deviceId, ts: new Date(base + h * H + 60_000), values: { t: h } }));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ump-rollout-stats-'));
  store = createClickHouseStore({ dataDir: dir, database: 'ump_test' });
  await store.migrate();
  const logger = createLogger({ name: 'analytics', level: 'silent', format: 'json' });
  subgraph = createAnalyticsSubgraph({ store, logger, metrics: createMetrics('analytics'), internalSecret: SECRET });
  await store.rolloutHistory.insert([
    started(tenantA, rolloutA, 0, 0),
    progress(tenantA, rolloutA, a1, 0, 'ASSIGNED', H, '2.0.0'),
    progress(tenantA, rolloutA, a1, 0, 'UPDATED', 6 * H, '2.0.0'),
    progress(tenantA, rolloutA, a2, 0, 'ASSIGNED', H, '2.0.0'),
    progress(tenantA, rolloutA, a2, 0, 'FAILED', 2 * H, '2.0.0'),
    started(tenantA, rolloutA, 1, 7 * H),
    progress(tenantA, rolloutA, a3, 1, 'DOWNLOADING', 8 * H, '2.0.0'),
    started(tenantB, rolloutB, 0, 0),
    progress(tenantB, rolloutB, b1, 0, 'UPDATED', H, '3.0.0'),
  ]);
  await store.alertHistory.insert([
    raised(tenantA, a1, 2 * H), // before its update
    raised(tenantA, a1, 7 * H),
    raised(tenantA, a1, 9 * H),
    raised(tenantA, a2, 3 * H),
    raised(tenantB, b1, 2 * H),
  ]);
  // a1 and a2 send telemetry from 00:00 to 11:59: a1's hours 00-05 are before its update.
  await store.insert([...telemetry(tenantA, a1, 12), ...telemetry(tenantA, a2, 12), ...telemetry(tenantB, b1, 4)]);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const viewerOf = (tenantId: string): Identity => ({ kind: 'user', userId: randomUUID(), tenantId, role: 'VIEWER' });

/** Runs `query` as `identity` through the signed-identity context; returns the first entity's data and the errors. */
async function run(identity: Identity, query: string, variables: Record<string, unknown>) {
  const contextValue = await subgraph.context({ 'x-ump-identity': await signIdentity(SECRET, identity) });
  const response = await subgraph.server.executeOperation({ query, variables }, { contextValue });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  const { data, errors } = response.body.singleResult;
  return { entity: (data as { _entities: Array<Record<string, unknown> | null> } | null)?._entities[0] ?? null, errors };
}

const STAGES = `query ($rollout: ID!) {
  _entities(representations: [{ __typename: "Rollout", id: $rollout }]) {
    ... on Rollout { id stageStats { stageIndex assigned updated failed inProgress cancelled rolledBack } }
  }
}`;
const stageStats = async (identity: Identity, rollout: string) => {
  const { entity, errors } = await run(identity, STAGES, { rollout });
  return { stats: entity?.stageStats, errors };
};

const RATES = `query ($tenant: ID!, $from: DateTime!, $to: DateTime!) {
  _entities(representations: [{ __typename: "Tenant", id: $tenant }]) {
    ... on Tenant { firmwareAlertRates(from: $from, to: $to) { firmwareVersion devices alertsRaised deviceHours alertsPerDeviceHour } }
  }
}`;
const firmwareAlertRates = async (identity: Identity, variables: { tenant: string; from: string; to: string }) => {
  const { entity, errors } = await run(identity, RATES, variables);
  return { rates: entity?.firmwareAlertRates, errors };
};

const zero = { assigned: 0, updated: 0, failed: 0, inProgress: 0, cancelled: 0, rolledBack: 0 };

describe('Rollout.stageStats', () => {
  it("answers the caller's rollout stage by stage", async () => {
    expect(await stageStats(viewerOf(tenantA), rolloutA)).toEqual({
      errors: undefined,
      stats: [
        { stageIndex: 0, ...zero, assigned: 2, updated: 1, failed: 1 },
        { stageIndex: 1, ...zero, assigned: 1, inProgress: 1 },
      ],
    });
  });

  it("never shows one tenant another's rollout, even by naming its id", async () => {
    expect((await stageStats(viewerOf(tenantB), rolloutB)).stats).toEqual([{ stageIndex: 0, ...zero, assigned: 1, updated: 1 }]);
    expect(await stageStats(viewerOf(tenantB), rolloutA)).toEqual({ errors: undefined, stats: [] });
    expect(await stageStats(viewerOf(randomUUID()), rolloutA)).toEqual({ errors: undefined, stats: [] });
    // An id that cannot be a rollout's is no error either: it has no stages.
    expect(await stageStats(viewerOf(tenantA), "' OR 1=1 --")).toEqual({ errors: undefined, stats: [] });
  });

  it('needs a caller inside a tenant', async () => {
    const admin = await stageStats({ kind: 'user', userId: randomUUID(), tenantId: null, role: 'PLATFORM_ADMIN' }, rolloutA);
    expect(admin.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(admin.stats ?? null).toBeNull();
    const anonymous = await stageStats({ kind: 'anonymous' }, rolloutA);
    expect(anonymous.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('Tenant.firmwareAlertRates', () => {
  it("answers the caller's tenant per firmware version", async () => {
    expect(await firmwareAlertRates(viewerOf(tenantA), { tenant: tenantA, ...window })).toEqual({
      errors: undefined,
      rates: [
        // a1 before its update (one alert, hours 00-05) and a2 all along (one alert, hours 00-11).
        { firmwareVersion: null, devices: 2, alertsRaised: 2, deviceHours: 18, alertsPerDeviceHour: 2 / 18 },
        // a1 from 06:00: two alerts, hours 06-11.
        { firmwareVersion: '2.0.0', devices: 1, alertsRaised: 2, deviceHours: 6, alertsPerDeviceHour: 2 / 6 },
      ],
    });
  });

  it("never shows one tenant another's rates, even by naming its id", async () => {
    expect((await firmwareAlertRates(viewerOf(tenantB), { tenant: tenantB, ...window })).rates).toEqual([
      // b1's hour 00 ended before its update at 01:00.
      { firmwareVersion: null, devices: 1, alertsRaised: 0, deviceHours: 1, alertsPerDeviceHour: 0 },
      { firmwareVersion: '3.0.0', devices: 1, alertsRaised: 1, deviceHours: 3, alertsPerDeviceHour: 1 / 3 },
    ]);
    expect(await firmwareAlertRates(viewerOf(tenantB), { tenant: tenantA, ...window })).toEqual({ errors: undefined, rates: [] });
  });

  it('refuses bad windows with BAD_USER_INPUT naming the field', async () => {
    const backwards = await firmwareAlertRates(viewerOf(tenantA), { tenant: tenantA, from: window.to, to: window.from });
    expect(backwards.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    const empty = await firmwareAlertRates(viewerOf(tenantA), { tenant: tenantA, from: window.from, to: window.from });
    expect(empty.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    const tooLong = await firmwareAlertRates(viewerOf(tenantA), { tenant: tenantA, from: '2020-01-01T00:00:00Z', to: window.to });
    expect(tooLong.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });
    // Another tenant's id does not skip the validation.
    const foreign = await firmwareAlertRates(viewerOf(tenantB), { tenant: tenantA, from: window.to, to: window.from });
    expect(foreign.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
  });

  it('needs a caller inside a tenant', async () => {
    const admin = await firmwareAlertRates({ kind: 'user', userId: randomUUID(), tenantId: null, role: 'PLATFORM_ADMIN' }, { tenant: tenantA, ...window });
    expect(admin.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(admin.rates ?? null).toBeNull();
    const anonymous = await firmwareAlertRates({ kind: 'anonymous' }, { tenant: tenantA, ...window });
    expect(anonymous.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('schema', () => {
  it('documents every field of the rollout analytics', () => {
    const document = parse(typeDefs);
    const fields = (name: string): readonly FieldDefinitionNode[] => {
      const type = document.definitions.find((d) => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === name);
      if (!type || type.kind !== Kind.OBJECT_TYPE_DEFINITION) throw new Error(`no type ${name}`);
      return type.fields ?? [];
    };
    const undocumented = [
      ...['Rollout', 'RolloutStageStats', 'FirmwareAlertRate'].flatMap((type) => fields(type).map((f) => ({ type, f }))),
      ...fields('Tenant').filter((f) => f.name.value === 'firmwareAlertRates').map((f) => ({ type: 'Tenant', f })),
    ].filter(({ f }) => !f.description?.value.trim()).map(({ type, f }) => `${type}.${f.name.value}`);
    expect(fields('Tenant').some((f) => f.name.value === 'firmwareAlertRates')).toBe(true);
    expect(undocumented).toEqual([]);
  });
});
