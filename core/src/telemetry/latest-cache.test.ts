import { randomUUID } from 'node:crypto';
import { createMemoryCache } from '../ports/memory-cache';
import { createLatestCache, deviceRef, type LatestSeed, type SeededLatest } from './latest-cache';
import type { TelemetryPoint } from './store';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 7, 12);
const [tenant, device, other] = [randomUUID(), randomUUID(), randomUUID()];

let seq = 0;
const point = (deviceId: string, ts: number, values: TelemetryPoint['values'], retentionDays?: number): TelemetryPoint => ({
  messageId: `m-${++seq}`, tenantId: tenant, deviceId, ts: new Date(ts), values, retentionDays,
});

/** A seed answering from `rows` (what ClickHouse holds), recording which devices it was asked for. */
function seedFrom(rows: Record<string, SeededLatest[]> = {}) {
  const asked: string[][] = [];
  const seed: LatestSeed = async (devices) => {
    asked.push(devices.map((d) => d.deviceId));
    return new Map(devices.map((d) => [deviceRef(d.tenantId, d.deviceId), rows[d.deviceId] ?? []]));
  };
  return { seed, asked };
}

describe('latest cache', () => {
  const setup = (rows?: Record<string, SeededLatest[]>) => {
    const cache = createMemoryCache();
    const { seed, asked } = seedFrom(rows);
    return { cache, asked, latest: createLatestCache(cache, seed, () => NOW) };
  };

  it('has no entry for a device it was never told about, so reads go to ClickHouse', async () => {
    const { latest } = setup();
    expect(await latest.read(tenant, device)).toBeNull();
  });

  it('keeps the value with the newest timestamp per key, whatever order points arrive in', async () => {
    const { latest } = setup();
    await latest.record([point(device, NOW - 2_000, { temp: 21, door: 'open' }), point(device, NOW - 5_000, { temp: 19, ok: true })], 30);
    await latest.record([point(device, NOW - 9_000, { temp: 5, door: 'closed' })], 30); // late, older than both
    await latest.record([point(device, NOW - 1_000, { ok: false })], 30);
    expect(await latest.read(tenant, device)).toEqual([
      { key: 'door', value: 'open', ts: new Date(NOW - 2_000) },
      { key: 'ok', value: false, ts: new Date(NOW - 1_000) },
      { key: 'temp', value: 21, ts: new Date(NOW - 2_000) },
    ]);
  });

  it('seeds a device it has no entry for from ClickHouse once, so no key it sent before goes missing', async () => {
    const { latest, asked } = setup({ [device]: [{ key: 'humidity', value: 40, ts: new Date(NOW - 60_000), retentionDays: 30 }] });
    await latest.record([point(device, NOW - 1_000, { temp: 22 })], 30);
    await latest.record([point(device, NOW - 500, { temp: 23 }), point(other, NOW - 500, { temp: 1 })], 30);
    expect(asked).toEqual([[device], [other]]);
    expect(await latest.read(tenant, device)).toEqual([
      { key: 'humidity', value: 40, ts: new Date(NOW - 60_000) },
      { key: 'temp', value: 23, ts: new Date(NOW - 500) },
    ]);
  });

  it('leaves out values older than their retention, as ClickHouse TTL does', async () => {
    const { latest } = setup();
    await latest.record([point(device, NOW - 10 * DAY, { old: 1 }, 7), point(device, NOW - 10 * DAY, { kept: 2 }, 30)], 30);
    expect((await latest.read(tenant, device))?.map((v) => v.key)).toEqual(['kept']);
  });

  it('keeps the longest retention a key was written with', async () => {
    const { latest } = setup();
    await latest.record([point(device, NOW - 10 * DAY, { temp: 1 }, 30)], 30);
    await latest.record([point(device, NOW - 20 * DAY, { temp: 0 }, 7)], 30); // older: value kept, retention not shortened
    expect(await latest.read(tenant, device)).toEqual([{ key: 'temp', value: 1, ts: new Date(NOW - 10 * DAY) }]);
  });

  it('merges a batch as if point by point: the later of two equal timestamps wins, the longest retention stays', async () => {
    const { latest, cache } = setup();
    await latest.record([point(device, NOW - 3_000, { temp: 10 }, 90)], 30);
    const reads = jest.spyOn(cache, 'getJson');
    const writes = jest.spyOn(cache, 'setJson');
    await latest.record(
      [
        point(device, NOW - 3_000, { temp: 11 }, 7), // same time as the stored value: the later write wins
        point(device, NOW - 2_000, { door: 'open' }, 7),
        point(device, NOW - 2_000, { door: 'closed' }, 7),
        point(device, NOW - 4_000, { temp: 9 }, 7), // older than both
      ],
      30,
    );
    expect([reads.mock.calls.length, writes.mock.calls.length]).toEqual([1, 1]);
    expect(await latest.read(tenant, device)).toEqual([
      { key: 'door', value: 'closed', ts: new Date(NOW - 2_000) },
      { key: 'temp', value: 11, ts: new Date(NOW - 3_000) },
    ]);
    // temp keeps the 90 days it was first written with: visible for 80 more days.
    const after80Days = createLatestCache(cache, seedFrom().seed, () => NOW + 80 * DAY);
    expect((await after80Days.read(tenant, device))?.map((v) => v.key)).toEqual(['temp']);
  });

  it('keys entries by tenant: another tenant asking for the same device id gets nothing', async () => {
    const { latest } = setup();
    await latest.record([point(device, NOW - 1_000, { temp: 22 })], 30);
    expect(await latest.read(randomUUID(), device)).toBeNull();
  });

  it('rejects when the cache cannot be written, so the caller retries the batch', async () => {
    const cache = createMemoryCache();
    cache.setJson = async () => {
      throw new Error('cache down');
    };
    const latest = createLatestCache(cache, seedFrom().seed, () => NOW);
    await expect(latest.record([point(device, NOW - 1_000, { temp: 22 })], 30)).rejects.toThrow('cache down');
  });
});
