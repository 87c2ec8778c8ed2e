import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlertEvent } from '../events/alert-events';
import { createClickHouseStore, type ClickHouseTelemetryStore } from './clickhouse-store';

// The OTA KPI reads on embedded chDB, with rows written through the store's own insert paths.
const S = 1_000;
const H = 3_600 * S;
const DAY = 24 * H;
const base = Math.floor(Date.now() / DAY) * DAY - 3 * DAY;

let dir: string;
let store: ClickHouseTelemetryStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ump-ch-ota-kpi-'));
  store = createClickHouseStore({ dataDir: dir, database: 'ump_test' });
  await store.migrate();
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
const raised = (tenantId: string, deviceId: string, at: number, type: AlertEvent['type'] = 'raised', eventId = `ota-e-${++seq}`): AlertEvent => ({
  eventId, type, tenantId, deviceId, alertId: randomUUID(), ruleId: randomUUID(), severity: 'MAJOR', status: 'ACTIVE_UNACK',
  flapping: false, raisedAt: base + at, at: base + at,
});

describe('alertRaises', () => {
  const [tenant, other] = [randomUUID(), randomUUID()];
  const [d1, d2, d3, d4] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  beforeAll(async () => {
    const dup = raised(tenant, d1, 3 * H);
    await store.alertHistory.insert([
      raised(tenant, d1, 1 * H), // before d1's window
      raised(tenant, d1, 2 * H),
      dup,
      raised(tenant, d1, 4 * H, 'cleared'), // not a raise
      raised(tenant, d2, 1 * H), // d2's window starts at 0: counts
      raised(tenant, d2, 10 * H), // at or after `to`
      raised(other, d3, 5 * H), // another tenant's device
      raised(tenant, d3, 30 * S),
    ]);
    await store.alertHistory.insert([dup]); // a redelivery
  });

  it('counts raised events distinct by id, per device from its own window start, for one tenant only', async () => {
    const counts = await store.otaKpi.alertRaises({
      tenantId: tenant,
      windows: [{ deviceId: d1, from: base + 2 * H }, { deviceId: d2, from: base }, { deviceId: d3, from: base + H }, { deviceId: d4, from: base }],
      to: base + 10 * H,
    });
    expect(Object.fromEntries(counts)).toEqual({ [d1]: 2, [d2]: 1, [d3]: 0, [d4]: 0 });
  });

  it('reads nothing of the tenant from another tenant id', async () => {
    const counts = await store.otaKpi.alertRaises({ tenantId: other, windows: [{ deviceId: d1, from: base }], to: base + DAY });
    expect(counts.get(d1)).toBe(0);
  });

  it('answers an empty window set without a query and refuses ids that are not UUIDs', async () => {
    expect((await store.otaKpi.alertRaises({ tenantId: tenant, windows: [], to: base })).size).toBe(0);
    await expect(store.otaKpi.alertRaises({ tenantId: "x' OR 1=1", windows: [{ deviceId: d1, from: base }], to: base })).rejects.toThrow(TypeError);
  });
});

describe('metric', () => {
  const [tenant, other] = [randomUUID(), randomUUID()];
  const [d1, d2] = [randomUUID(), randomUUID()];
  beforeAll(async () => {
    const point = (tenantId: string, deviceId: string, at: number, values: Record<string, number | string>) => ({
      messageId: `ota-m-${++seq}`, tenantId, deviceId, ts: new Date(base + at), values,
    });
    await store.insert([
      point(tenant, d1, 0, { temp: 1000 }), // before d1's window
      ...Array.from({ length: 10 }, (_, i) => point(tenant, d1, H + i * S, { temp: i + 1, other: 99 })), // 1..10
      point(tenant, d1, 2 * H, { temp: 'hot' }), // not numeric
      point(tenant, d2, 30 * S, { temp: 20 }),
      point(other, d2, H, { temp: 5000 }),
    ], { dedupToken: 'ota-kpi-metric' });
  });

  it('summarizes the numeric points of the key in each device window of the tenant', async () => {
    const summary = await store.otaKpi.metric({
      tenantId: tenant, key: 'temp', to: base + DAY,
      windows: [{ deviceId: d1, from: base + H }, { deviceId: d2, from: base }],
    });
    expect(summary.count).toBe(11);
    expect(summary.mean).toBeCloseTo((55 + 20) / 11, 6);
    expect(summary.p95).toBeGreaterThan(10);
    expect(summary.p95).toBeLessThanOrEqual(20);
  });

  it('gives nulls without points', async () => {
    const summary = await store.otaKpi.metric({ tenantId: tenant, key: 'nope', to: base + DAY, windows: [{ deviceId: d1, from: base }] });
    expect(summary).toEqual({ count: 0, mean: null, p95: null });
  });
});
