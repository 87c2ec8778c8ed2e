import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Severity } from '../alerts/conditions';
import type { AlertEvent, AlertEventType, AlertStatus } from '../events/alert-events';
import { useChdbStore } from '../testing/chdb-store';
import { int64, selectRows } from './clickhouse-client';

// The alert history on embedded chDB, through the telemetry store that creates its table.
const S = 1_000;
const DAY = 86_400 * S;
// Three days ago at midnight UTC: the window of most tests is that day.
const base = Math.floor(Date.now() / DAY) * DAY - 3 * DAY;
const day = { from: new Date(base), to: new Date(base + DAY) };

const chdb = useChdbStore('ump-ch-alerts-');
beforeAll(() => chdb.store.migrate()); // idempotent, the alert table included

interface Alert { tenantId: string; alertId: string; ruleId: string; deviceId: string; severity: Severity; raisedAt: number }

const alertOf = (tenantId: string, ruleId: string, severity: Severity, raisedAt: number): Alert => ({
  tenantId, alertId: randomUUID(), ruleId, deviceId: randomUUID(), severity, raisedAt,
});

let seq = 0;
/** One event of an alert at `at` (ms after base), leaving it in `status`. */
const event = (alert: Alert, type: AlertEventType, status: AlertStatus, at: number): AlertEvent => ({
  eventId: `e-${++seq}`, type, status, at: base + at, flapping: false, ...alert, raisedAt: base + alert.raisedAt,
});

async function storedRows(tenantId: string) {
  const row = z.object({ rows: int64, events: int64 });
  const [counts] = await selectRows(chdb.admin, `/* test.alert_rows */
SELECT count() AS rows, uniqExact(event_id) AS events FROM ump_test.alert_events WHERE tenant_id = {t:UUID}`, { t: tenantId }, row);
  return counts!;
}

describe('alert stats', () => {
  const [tenantA, tenantB] = [randomUUID(), randomUUID()];
  const [r1, r2, r3] = [randomUUID(), randomUUID(), randomUUID()];
  // Times in ms after base (midnight, the window's start). Hand-computed expectations below.
  const a1 = alertOf(tenantA, r1, 'CRITICAL', 0);
  const a2 = alertOf(tenantA, r1, 'MAJOR', 1_000 * S);
  const a3 = alertOf(tenantA, r2, 'MAJOR', 2_000 * S);
  const a4 = alertOf(tenantA, r3, 'WARNING', 3_000 * S);
  const a5 = alertOf(tenantA, r2, 'CRITICAL', -3_600 * S); // raised the hour before the window
  const a6 = alertOf(tenantA, r1, 'MINOR', -7_200 * S); // raised and acknowledged before it
  const a7 = alertOf(tenantA, r3, 'INFO', 5_000 * S);
  const a8 = alertOf(tenantA, r2, 'MAJOR', -2 * DAY); // closed long before
  const b1 = alertOf(tenantB, r1, 'CRITICAL', 100 * S);
  const events: AlertEvent[] = [
    event(a1, 'raised', 'ACTIVE_UNACK', 0),
    event(a1, 'acknowledged', 'ACTIVE_ACK', 60 * S), // TTA 60
    event(a1, 'resolved', 'CLEARED_ACK', 300 * S), // TTR 300
    event(a2, 'raised', 'ACTIVE_UNACK', 1_000 * S),
    event(a2, 'updated', 'ACTIVE_UNACK', 1_050 * S),
    event(a2, 'cleared', 'CLEARED_UNACK', 1_120 * S), // TTR 120
    event(a2, 'resolved', 'CLEARED_ACK', 1_400 * S), // TTA 400
    event(a3, 'raised', 'ACTIVE_UNACK', 2_000 * S),
    event(a3, 'acknowledged', 'ACTIVE_ACK', 2_030 * S), // TTA 30, still open
    event(a4, 'raised', 'ACTIVE_UNACK', 3_000 * S),
    event(a4, 'cleared', 'CLEARED_UNACK', 3_100 * S),
    event(a4, 'raised', 'ACTIVE_UNACK', 3_200 * S), // re-opened: raisedAt stays
    event(a4, 'cleared', 'CLEARED_UNACK', 3_500 * S), // TTR 500 (the last clearing), open
    event(a5, 'raised', 'ACTIVE_UNACK', -3_600 * S),
    event(a5, 'acknowledged', 'ACTIVE_ACK', 600 * S), // TTA 4200, open
    event(a6, 'raised', 'ACTIVE_UNACK', -7_200 * S),
    event(a6, 'acknowledged', 'ACTIVE_ACK', -3_600 * S), // acknowledged before the window
    event(a6, 'resolved', 'CLEARED_ACK', 900 * S), // TTR 8100
    event(a7, 'raised', 'ACTIVE_UNACK', 5_000 * S), // open at the window's end…
    event(a7, 'acknowledged', 'ACTIVE_ACK', DAY + 10 * S), // …acknowledged and closed after it
    event(a7, 'resolved', 'CLEARED_ACK', DAY + 20 * S),
    event(a8, 'raised', 'ACTIVE_UNACK', -2 * DAY),
    event(a8, 'resolved', 'CLEARED_ACK', -2 * DAY + 50 * S),
    event(b1, 'raised', 'ACTIVE_UNACK', 100 * S),
    event(b1, 'acknowledged', 'ACTIVE_ACK', 110 * S),
  ];
  const expectedA = {
    raised: 6, // a1, a2, a3, a4 twice, a7
    bySeverity: [
      { severity: 'CRITICAL', count: 1 },
      { severity: 'MAJOR', count: 2 },
      { severity: 'WARNING', count: 2 },
      { severity: 'INFO', count: 1 },
    ],
    byRule: [
      { ruleId: r3, count: 3 },
      { ruleId: r1, count: 2 },
      { ruleId: r2, count: 1 },
    ],
    mttaSeconds: (60 + 400 + 30 + 4_200) / 4, // a1 a2 a3 a5
    mttrSeconds: (300 + 120 + 500 + 8_100) / 4, // a1 a2 a4 a6
    open: 4, // a3 a4 a5 a7
  };

  beforeAll(() => chdb.store.alertHistory.insert(events));

  it('counts raises, response times and open alerts with hand-computed numbers', async () => {
    expect(await chdb.store.alertHistory.stats({ tenantId: tenantA, ...day })).toEqual(expectedA);
  });

  it('measures open alerts at the end of the window and times only inside it', async () => {
    expect(await chdb.store.alertHistory.stats({ tenantId: tenantA, from: new Date(base), to: new Date(base + 200 * S) })).toEqual({
      raised: 1,
      bySeverity: [{ severity: 'CRITICAL', count: 1 }],
      byRule: [{ ruleId: r1, count: 1 }],
      mttaSeconds: 60, // a1; a5 is acknowledged later
      mttrSeconds: null, // nothing cleared yet
      open: 3, // a1 (acknowledged), a5, a6 (acknowledged before the window, cleared later)
    });
  });

  it('does not count a redelivered event twice, whatever the batches', async () => {
    const before = await storedRows(tenantA);
    await chdb.store.alertHistory.insert(events.slice(0, 7));
    await chdb.store.alertHistory.insert([...events.slice(5)].reverse());
    expect(await chdb.store.alertHistory.stats({ tenantId: tenantA, ...day })).toEqual(expectedA);
    // The duplicates collapse into one row per event once the parts merge.
    await chdb.admin.command({ query: '/* test.optimize_alert_events */ OPTIMIZE TABLE ump_test.alert_events FINAL' });
    expect(await storedRows(tenantA)).toEqual(before);
    expect(before.rows).toBe(before.events);
  });

  it("never shows one tenant another's alerts", async () => {
    expect(await chdb.store.alertHistory.stats({ tenantId: tenantB, ...day })).toEqual({
      raised: 1,
      bySeverity: [{ severity: 'CRITICAL', count: 1 }],
      byRule: [{ ruleId: r1, count: 1 }],
      mttaSeconds: 10,
      mttrSeconds: null,
      open: 1,
    });
    expect(await chdb.store.alertHistory.stats({ tenantId: randomUUID(), ...day })).toEqual({
      raised: 0, bySeverity: [], byRule: [], mttaSeconds: null, mttrSeconds: null, open: 0,
    });
  });

  it('lists the 20 rules with the most raises, most first', async () => {
    const tenant = randomUUID();
    const rules = Array.from({ length: 25 }, () => randomUUID());
    // Rule i raises i + 1 alerts.
    await chdb.store.alertHistory.insert(rules.flatMap((ruleId, i) =>
      Array.from({ length: i + 1 }, () => event(alertOf(tenant, ruleId, 'MINOR', 10 * S), 'raised', 'ACTIVE_UNACK', 10 * S))));
    const stats = await chdb.store.alertHistory.stats({ tenantId: tenant, ...day });
    expect(stats.raised).toBe((25 * 26) / 2);
    expect(stats.byRule).toEqual(rules.map((ruleId, i) => ({ ruleId, count: i + 1 })).reverse().slice(0, 20));
  });

  it('refuses tenant ids that are not UUIDs and events it cannot keep', async () => {
    await expect(chdb.store.alertHistory.stats({ tenantId: "' OR 1=1 --", ...day })).rejects.toThrow(TypeError);
    const bad = { ...event(alertOf(tenantA, r1, 'INFO', 0), 'raised', 'ACTIVE_UNACK', 0), at: Date.UTC(2200, 0, 1) };
    await expect(chdb.store.alertHistory.insert([bad])).rejects.toThrow(/at: outside/);
  });
});
