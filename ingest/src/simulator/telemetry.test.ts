import { telemetryValue } from '@ump/core';
import { z } from 'zod';
import { createDeviceSignal, nextMessage, seededRandom, telemetryKeys, type TelemetryPointPayload } from './telemetry';

// The ThingsBoard-compatible body the intake accepts: one point or an array of points, whose
// values obey the telemetry.v1 contract.
const point = z.object({ ts: z.number().int().positive(), values: z.record(z.string().min(1).max(128), telemetryValue) }).strict();
const body = z.union([point, z.array(point).min(1)]);

function series(seed: number, n: number, stepMs = 1_000): TelemetryPointPayload[] {
  const signal = createDeviceSignal({ seed });
  const start = Date.UTC(2026, 0, 1);
  return Array.from({ length: n }, (_, i) => signal.next(start + i * stepMs));
}

describe('seededRandom', () => {
  it('is reproducible per seed and stays in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const values = Array.from({ length: 1_000 }, () => a());
    expect(values).toEqual(Array.from({ length: 1_000 }, () => b()));
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(seededRandom(8)()).not.toBe(values[0]);
  });
});

describe('createDeviceSignal', () => {
  const devices = Array.from({ length: 20 }, (_, i) => series(i + 1, 5_000));

  // Checked in plain code and asserted once: 100,000 points × 6 expect() calls would take a minute.
  const outOfRange = (p: TelemetryPointPayload) => {
    const v = p.values as Record<string, unknown>;
    const inRange = (x: unknown, lo: number, hi: number) => typeof x === 'number' && x >= lo && x <= hi;
    const ok =
      inRange(v.temperature, 10, 35) &&
      inRange(v.humidity, 0, 100) &&
      inRange(v.battery, 0, 100) &&
      (v.door === 'open' || v.door === 'closed') &&
      typeof v.ok === 'boolean';
    return !ok;
  };

  it('stays within realistic ranges on every device', () => {
    expect(devices.flat().filter(outOfRange).slice(0, 3)).toEqual([]);
  });

  it('drifts around a per-device baseline: devices differ, a device moves but not wildly', () => {
    const means = devices.map((points) => points.reduce((s, p) => s + (p.values.temperature as number), 0) / points.length);
    expect(new Set(means.map((m) => m.toFixed(1))).size).toBeGreaterThan(10);
    for (const points of devices) {
      const temps = points.map((p) => p.values.temperature as number);
      expect(Math.max(...temps) - Math.min(...temps)).toBeGreaterThan(0.2);
      const steps = temps.slice(1).map((t, i) => Math.abs(t - temps[i]!));
      expect(Math.max(...steps)).toBeLessThan(1.5);
    }
  });

  it('drains the battery slowly and never recharges it', () => {
    for (const points of devices) {
      const battery = points.map((p) => p.values.battery as number);
      expect(battery.slice(1).filter((b, i) => b > battery[i]!)).toEqual([]);
      expect(battery[0]! - battery[battery.length - 1]!).toBeGreaterThan(0);
      expect(battery[0]! - battery[battery.length - 1]!).toBeLessThan(10);
    }
  });

  it('toggles the door now and then, not on every point', () => {
    const toggles = devices[0]!.filter((p, i, all) => i > 0 && p.values.door !== all[i - 1]!.values.door).length;
    expect(toggles).toBeGreaterThan(10);
    expect(toggles).toBeLessThan(500);
  });

  it('numbers points with a strictly increasing seq from 1, and strictly increasing ts', () => {
    const signal = createDeviceSignal({ seed: 3 });
    const points = [signal.next(1_000), signal.next(1_000), signal.next(999), signal.next(5_000)];
    expect(points.map((p) => p.values.seq)).toEqual([1, 2, 3, 4]);
    expect(points.map((p) => p.ts)).toEqual([1_000, 1_001, 1_002, 5_000]);
    expect(signal.seq).toBe(4);
  });

  it('sends only the chosen keys, in their order', () => {
    const signal = createDeviceSignal({ seed: 1, keys: ['seq', 'temperature'] });
    expect(Object.keys(signal.next(1).values)).toEqual(['seq', 'temperature']);
  });

  it('produces every key by default', () => {
    expect(Object.keys(series(1, 1)[0]!.values)).toEqual([...telemetryKeys]);
  });
});

describe('nextMessage', () => {
  it('sends one point bare, in the shape the intake accepts', () => {
    const message = nextMessage(createDeviceSignal({ seed: 1 }), 1_700_000_000_000, 1_000);
    expect(body.safeParse(message.payload).success).toBe(true);
    expect(Array.isArray(message.payload)).toBe(false);
    expect(message).toMatchObject({ points: 1, dataPoints: telemetryKeys.length, seq: 1, ts: 1_700_000_000_000 });
    expect(JSON.parse(JSON.stringify(message.payload))).toEqual(message.payload);
  });

  it('batches points as an array spread evenly over the interval that ends now', () => {
    const signal = createDeviceSignal({ seed: 1, keys: ['temperature', 'seq'] });
    const message = nextMessage(signal, 10_000, 1_000, 4);
    expect(body.safeParse(message.payload).success).toBe(true);
    const points = message.payload as TelemetryPointPayload[];
    expect(points.map((p) => p.ts)).toEqual([9_250, 9_500, 9_750, 10_000]);
    expect(points.map((p) => p.values.seq)).toEqual([1, 2, 3, 4]);
    expect(message).toMatchObject({ points: 4, dataPoints: 8, seq: 4, ts: 10_000 });
    expect(nextMessage(signal, 11_000, 1_000, 4).seq).toBe(8);
  });

  it('knows the seq even when the seq key is not sent', () => {
    const signal = createDeviceSignal({ seed: 1, keys: ['temperature'] });
    nextMessage(signal, 1, 1_000);
    expect(nextMessage(signal, 2, 1_000).seq).toBe(2);
  });
});
