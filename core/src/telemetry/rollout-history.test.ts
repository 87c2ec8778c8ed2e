import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AlertEvent } from '../events/alert-events';
import type { RolloutEvent } from '../events/rollout-events';
import { useChdbStore } from '../testing/chdb-store';
import { int64, selectRows } from './clickhouse-client';
import type { FirmwareAlertRate, RolloutStageStats } from './rollout-history';

// The rollout history on embedded chDB, through the telemetry store that creates its table
// (alert rates also read the alert history and the telemetry device-hours, written through
// the store's own insert paths).
const S = 1_000;
const H = 3_600 * S;
const DAY = 24 * H;
// Three days ago at midnight UTC: the window of the alert-rate tests is that day.
const base = Math.floor(Date.now() / DAY) * DAY - 3 * DAY;
const day = { from: new Date(base), to: new Date(base + DAY) };

const chdb = useChdbStore('ump-ch-rollouts-');
beforeAll(() => chdb.store.migrate()); // idempotent, the rollout table included

let seq = 0;
/** A rollout's event builder: `progress` is a device_progress, `event` any other type. */
function rolloutOf(tenantId: string, rolloutId = randomUUID(), firmwareVersion = '2.0.0') {
  const common = { tenantId, rolloutId, state: 'RUNNING' as const, firmwareId: randomUUID(), firmwareVersion };
  return {
    rolloutId,
    event: (type: Exclude<RolloutEvent['type'], 'device_progress'>, stageIndex: number, at: number): RolloutEvent => ({
      ...common, eventId: `r-${++seq}`, type, stageIndex, at: base + at,
    }),
    progress: (deviceId: string, stageIndex: number, deviceStatus: string, at: number, version = firmwareVersion): RolloutEvent => ({
      ...common, firmwareVersion: version, eventId: `r-${++seq}`, type: 'device_progress', stageIndex, deviceId, deviceStatus, at: base + at,
    }),
  };
}

const stage = (stageIndex: number, counts: Partial<Omit<RolloutStageStats, 'stageIndex'>>): RolloutStageStats => ({
  stageIndex, assigned: 0, updated: 0, failed: 0, inProgress: 0, cancelled: 0, rolledBack: 0, ...counts,
});

async function storedRows(tenantId: string) {
  const row = z.object({ rows: int64, events: int64 });
  const [counts] = await selectRows(chdb.admin, `/* test.rollout_rows */
SELECT count() AS rows, uniqExact(event_id) AS events FROM ump_test.rollout_events WHERE tenant_id = {t:UUID}`, { t: tenantId }, row);
  return counts!;
}

describe('stage stats', () => {
  const [tenantA, tenantB] = [randomUUID(), randomUUID()];
  const r = rolloutOf(tenantA);
  const [d1, d2, d3, d4] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const [d5, d6, d7, d8, d9] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  // Times in ms after base. Hand-computed expectations below.
  const events: RolloutEvent[] = [
    r.event('state_changed', 0, 0),
    r.event('stage_started', 0, 0),
    // Stage 0: one updated, one failed, one rolled back, one cancelled.
    r.progress(d1, 0, 'ASSIGNED', 1 * S),
    r.progress(d1, 0, 'QUEUED', 2 * S),
    r.progress(d1, 0, 'DOWNLOADING', 3 * S),
    r.progress(d1, 0, 'UPDATED', 4 * S),
    r.progress(d2, 0, 'ASSIGNED', 1 * S),
    r.progress(d2, 0, 'FAILED', 5 * S),
    r.progress(d3, 0, 'ASSIGNED', 1 * S),
    r.progress(d3, 0, 'UPDATED', 6 * S),
    r.progress(d4, 0, 'ASSIGNED', 1 * S),
    r.progress(d4, 0, 'CANCELLED', 7 * S),
    r.event('gate_evaluated', 0, 10 * S),
    r.event('stage_started', 1, 11 * S),
    // Stage 1: three in progress (one rolling back, one retried), two updated.
    r.progress(d5, 1, 'ASSIGNED', 12 * S),
    r.progress(d5, 1, 'DOWNLOADING', 13 * S),
    r.progress(d6, 1, 'UPDATED', 14 * S),
    r.progress(d6, 1, 'QUEUED', 12 * S), // arrives after UPDATED but happened before it
    r.progress(d7, 1, 'UPDATED', 13 * S),
    r.progress(d7, 1, 'ROLLING_BACK', 20 * S),
    r.progress(d8, 1, 'UPDATED', 15 * S), // same millisecond: the later step wins
    r.progress(d8, 1, 'UPDATING', 15 * S),
    r.progress(d9, 1, 'ASSIGNED', 12 * S),
    r.progress(d9, 1, 'FAILED', 16 * S), // retried at once: the new assignment holds
    r.progress(d9, 1, 'ASSIGNED', 16 * S),
    // d3 is rolled back while the rollout is at stage 1: it stays a stage-0 device.
    r.progress(d3, 1, 'ROLLING_BACK', 20 * S),
    r.progress(d3, 1, 'ROLLED_BACK', 21 * S),
    // Stage 2 started, nothing assigned yet.
    r.event('stage_started', 2, 30 * S),
  ];
  const expected = [
    stage(0, { assigned: 4, updated: 1, failed: 1, cancelled: 1, rolledBack: 1 }),
    stage(1, { assigned: 5, updated: 2, inProgress: 3 }),
    stage(2, {}),
  ];
  const query = { tenantId: tenantA, rolloutId: r.rolloutId };

  beforeAll(() => chdb.store.rolloutHistory.insert(events));

  it('counts every stage’s devices by their latest status, with hand-computed numbers', async () => {
    expect(await chdb.store.rolloutHistory.stageStats(query)).toEqual(expected);
  });

  it('does not count a redelivered event twice, whatever the batches', async () => {
    const before = await storedRows(tenantA);
    await chdb.store.rolloutHistory.insert(events.slice(0, 9));
    await chdb.store.rolloutHistory.insert([...events.slice(5)].reverse());
    expect(await chdb.store.rolloutHistory.stageStats(query)).toEqual(expected);
    // The duplicates collapse into one row per event once the parts merge.
    await chdb.admin.command({ query: '/* test.optimize_rollout_events */ OPTIMIZE TABLE ump_test.rollout_events FINAL' });
    expect(await storedRows(tenantA)).toEqual(before);
    expect(before.rows).toBe(before.events);
  });

  it("never shows one tenant another's rollout, even under the same rollout id", async () => {
    // Tenant B's events (a forged or colliding rollout id) must not leak into A's stats …
    const forged = rolloutOf(tenantB, r.rolloutId);
    await chdb.store.rolloutHistory.insert([forged.event('stage_started', 0, 0), forged.progress(randomUUID(), 0, 'FAILED', S)]);
    expect(await chdb.store.rolloutHistory.stageStats(query)).toEqual(expected);
    // … and B sees only its own rows of that id.
    expect(await chdb.store.rolloutHistory.stageStats({ tenantId: tenantB, rolloutId: r.rolloutId })).toEqual([stage(0, { assigned: 1, failed: 1 })]);
    expect(await chdb.store.rolloutHistory.stageStats({ tenantId: randomUUID(), rolloutId: r.rolloutId })).toEqual([]);
    expect(await chdb.store.rolloutHistory.stageStats({ tenantId: tenantA, rolloutId: randomUUID() })).toEqual([]);
  });

  it('refuses ids that are not UUIDs and events it cannot keep', async () => {
    await expect(chdb.store.rolloutHistory.stageStats({ tenantId: "' OR 1=1 --", rolloutId: r.rolloutId })).rejects.toThrow(TypeError);
    await expect(chdb.store.rolloutHistory.stageStats({ tenantId: tenantA, rolloutId: 'x' })).rejects.toThrow(TypeError);
    await expect(chdb.store.rolloutHistory.firmwareAlertRates({ tenantId: 'x', ...day })).rejects.toThrow(TypeError);
    await expect(chdb.store.rolloutHistory.insert([{ ...r.event('stage_started', 0, 0), at: Date.UTC(2200, 0, 1) }])).rejects.toThrow(/at: outside/);
    const { deviceId: _, ...deviceless } = r.progress(d1, 0, 'UPDATED', 0);
    await expect(chdb.store.rolloutHistory.insert([deviceless])).rejects.toThrow(/deviceId: required/);
    const { deviceStatus: __, ...statusless } = r.progress(d1, 0, 'UPDATED', 0);
    await expect(chdb.store.rolloutHistory.insert([statusless])).rejects.toThrow(/deviceStatus: required/);
    expect(await chdb.store.rolloutHistory.stageStats(query)).toEqual(expected);
  });
});

describe('firmware alert rates', () => {
  const [tenant, other] = [randomUUID(), randomUUID()];
  // e1: 1.9.0 from two days before, 1.10.0 from 12:00. e2: never updated by a rollout.
  // e3: 1.10.0 from the day before, rolled back to 1.9.0 at 06:00. e4: downloading 2.0.0 at
  // 19:00 (not installed), 1.10.0 from 20:00.
  const [e1, e2, e3, e4] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const [old, current, next] = [rolloutOf(tenant, randomUUID(), '1.9.0'), rolloutOf(tenant, randomUUID(), '1.10.0'), rolloutOf(tenant, randomUUID(), '2.0.0')];

  let n = 0;
  const alert = (tenantId: string, deviceId: string, at: number, type: AlertEvent['type'] = 'raised', eventId = `a-${++n}`): AlertEvent => ({
    eventId, type, tenantId, deviceId, alertId: randomUUID(), ruleId: randomUUID(), severity: 'MAJOR', status: 'ACTIVE_UNACK',
    flapping: false, raisedAt: base + at, at: base + at,
  });
  /** Telemetry in each of the given clock hours of the day (two messages in the first one). */
  const telemetry = (tenantId: string, deviceId: string, hours: number[]) =>
    hours.flatMap((h, i) => Array.from({ length: i === 0 ? 2 : 1 }, (_, k) => ({
      messageId: randomUUID(), tenantId, deviceId, ts: new Date(base + h * H + (10 + k) * 60 * S), values: { temperature: 20 + h },
    })));
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

  const dup = alert(tenant, e2, 2 * H);
  const expected: FirmwareAlertRate[] = [
    // e2's alert (delivered twice) and e4's alert while it was only downloading.
    { firmwareVersion: null, devices: 2, alertsRaised: 2, deviceHours: 10, alertsPerDeviceHour: 2 / 10 },
    // e1 at 01:00; e3 exactly at its rollback and after it. Hours: e1 00-11, e3 06-11.
    { firmwareVersion: '1.9.0', devices: 2, alertsRaised: 3, deviceHours: 18, alertsPerDeviceHour: 3 / 18 },
    // e1 at 13:00 and 15:00; e3 at 03:00; e4 at 21:00. Hours: e1 12-23 (12:00 is the update), e3 00-05.
    { firmwareVersion: '1.10.0', devices: 3, alertsRaised: 4, deviceHours: 18, alertsPerDeviceHour: 4 / 18 },
  ];

  const updates: RolloutEvent[] = [
    old.progress(e1, 0, 'UPDATED', -2 * DAY),
    current.progress(e1, 0, 'UPDATED', 12 * H),
    current.progress(e3, 0, 'UPDATED', -DAY),
    current.progress(e3, 0, 'ROLLING_BACK', 5 * H, '1.9.0'),
    current.progress(e3, 0, 'ROLLED_BACK', 6 * H, '1.9.0'),
    current.progress(e2, 0, 'FAILED', -DAY), // a failed update leaves e2 where it was
    next.progress(e4, 0, 'DOWNLOADING', 19 * H),
    current.progress(e4, 1, 'UPDATED', 20 * H),
    // Another tenant naming e2 (ids are only unique per tenant as far as this store knows).
    rolloutOf(other, randomUUID(), '9.9.9').progress(e2, 0, 'UPDATED', -DAY),
  ];
  const alerts: AlertEvent[] = [
    alert(tenant, e1, 1 * H),
    alert(tenant, e1, 13 * H),
    alert(tenant, e1, 14 * H, 'acknowledged'), // not a raise
    alert(tenant, e1, 15 * H),
    dup,
    dup, // redelivered
    alert(tenant, e3, 3 * H),
    alert(tenant, e3, 6 * H),
    alert(tenant, e3, 7 * H),
    alert(tenant, e4, 19 * H + 30 * 60 * S),
    alert(tenant, e4, 21 * H),
    alert(tenant, e1, -H), // before the window
    alert(tenant, e1, DAY), // at its end (excluded)
    alert(other, e2, 2 * H),
  ];

  beforeAll(async () => {
    await chdb.store.rolloutHistory.insert(updates);
    await chdb.store.alertHistory.insert(alerts);
    await chdb.store.insert([
      ...telemetry(tenant, e1, range(0, 24)),
      ...telemetry(tenant, e2, range(0, 10)),
      ...telemetry(tenant, e3, range(0, 12)),
      ...telemetry(tenant, e1, [-1, 24]), // outside the window
      ...telemetry(other, e2, range(0, 24)),
    ]);
  });

  it('counts each alert and device-hour for the firmware the device ran then, hand-computed', async () => {
    expect(await chdb.store.rolloutHistory.firmwareAlertRates({ tenantId: tenant, ...day })).toEqual(expected);
  });

  it('attributes inside a shorter window and leaves out versions without activity in it', async () => {
    // 12:00-14:00: e1's update hour and the next on 1.10.0 with its 13:00 alert; nothing else.
    expect(await chdb.store.rolloutHistory.firmwareAlertRates({ tenantId: tenant, from: new Date(base + 12 * H), to: new Date(base + 14 * H) })).toEqual([
      { firmwareVersion: '1.10.0', devices: 1, alertsRaised: 1, deviceHours: 2, alertsPerDeviceHour: 1 / 2 },
    ]);
    // 19:00-22:00: e4's alert while downloading counts under null, without telemetry (no rate);
    // its alert after the update under 1.10.0, with e1's hours.
    expect(await chdb.store.rolloutHistory.firmwareAlertRates({ tenantId: tenant, from: new Date(base + 19 * H), to: new Date(base + 22 * H) })).toEqual([
      { firmwareVersion: null, devices: 1, alertsRaised: 1, deviceHours: 0, alertsPerDeviceHour: null },
      { firmwareVersion: '1.10.0', devices: 2, alertsRaised: 1, deviceHours: 3, alertsPerDeviceHour: 1 / 3 },
    ]);
  });

  it("never counts another tenant's alerts, telemetry or updates", async () => {
    expect(await chdb.store.rolloutHistory.firmwareAlertRates({ tenantId: other, ...day })).toEqual([
      { firmwareVersion: '9.9.9', devices: 1, alertsRaised: 1, deviceHours: 24, alertsPerDeviceHour: 1 / 24 },
    ]);
    expect(await chdb.store.rolloutHistory.firmwareAlertRates({ tenantId: randomUUID(), ...day })).toEqual([]);
  });

  it('answers the same after redeliveries of every event, in other batches', async () => {
    await chdb.store.rolloutHistory.insert([...updates].reverse());
    await chdb.store.alertHistory.insert(alerts.slice(3));
    expect(await chdb.store.rolloutHistory.firmwareAlertRates({ tenantId: tenant, ...day })).toEqual(expected);
  });
});
