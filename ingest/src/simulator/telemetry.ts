/** Every key the simulator can send; `seq` lets a benchmark find one exact point again. */
export const telemetryKeys = ['temperature', 'humidity', 'battery', 'door', 'ok', 'seq'] as const;
export type TelemetryKey = (typeof telemetryKeys)[number];

/** One point in the ThingsBoard-compatible device format: `{"ts": <epoch ms>, "values": {...}}`. */
export interface TelemetryPointPayload {
  ts: number;
  values: Partial<Record<TelemetryKey, number | string | boolean>>;
}

/** One message as a device sends it: a single point, or an array of points when batching. */
export type TelemetryPayload = TelemetryPointPayload | TelemetryPointPayload[];

/** What the simulator knows about a message besides its body. */
export interface OutgoingMessage {
  payload: TelemetryPayload;
  /** Points in the message. */
  points: number;
  /** Key/value pairs in the message: the "data points" the platform stores. */
  dataPoints: number;
  /** `seq` of the last point, the one a benchmark looks for. */
  seq: number;
  /** `ts` of the last point. */
  ts: number;
}

/**
 * A deterministic pseudo-random source (mulberry32): one seed per device keeps runs and tests
 * reproducible without sharing a global generator between devices.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Options of `createDeviceSignal`. */
export interface DeviceSignalOptions {
  /** Seeds the device's randomness; the device index is a good choice. */
  seed: number;
  /** Keys to include, in this order; default all of `telemetryKeys`. */
  keys?: readonly TelemetryKey[];
  /**
   * Called with every point's values before the keys are picked, to change them in place;
   * OTA behaviours use it to shift readings by the firmware version the device runs now.
   */
  adjust?: (values: Record<TelemetryKey, number | string | boolean>) => void;
}

/**
 * One simulated sensor. Each call to `next(ts)` returns the next point:
 * - temperature (°C) drifts around a per-device baseline between 18 and 26 (a mean-reverting
 *   random walk plus sensor noise), never outside −40…85;
 * - humidity (%) sits around its own baseline and moves against the temperature drift, 0…100;
 * - battery (%) starts between 60 and 100 and drains a little with every point, never below 0;
 * - door is "open" or "closed" and flips now and then;
 * - ok is false when the temperature strays far from its baseline or the battery is nearly flat;
 * - seq counts points from 1, strictly increasing.
 * Timestamps are made strictly increasing too (at least 1 ms apart), because stores key a
 * value by device, key and timestamp and would fold two points sharing one.
 */
export function createDeviceSignal({ seed, keys = telemetryKeys, adjust }: DeviceSignalOptions) {
  const random = seededRandom(seed);
  const gaussian = () => {
    // Box–Muller; 1 - random() keeps the logarithm's argument above zero.
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const baseTemperature = 18 + random() * 8;
  const baseHumidity = 35 + random() * 25;
  let drift = 0;
  let battery = 60 + random() * 40;
  let door: 'open' | 'closed' = random() < 0.2 ? 'open' : 'closed';
  let seq = 0;
  let lastTs = Number.NEGATIVE_INFINITY;

  return {
    /** `seq` of the last point returned; 0 before the first. */
    get seq() {
      return seq;
    },
    next(wantedTs: number): TelemetryPointPayload {
      const ts = Math.max(Math.round(wantedTs), lastTs + 1);
      lastTs = ts;
      drift = drift * 0.98 + gaussian() * 0.08;
      const temperature = clamp(baseTemperature + drift + gaussian() * 0.05, -40, 85);
      const humidity = clamp(baseHumidity - 1.5 * drift + gaussian() * 0.4, 0, 100);
      battery = Math.max(0, battery - random() * 0.002);
      if (random() < 0.02) door = door === 'open' ? 'closed' : 'open';
      seq += 1;
      const all: Record<TelemetryKey, number | string | boolean> = {
        temperature: round(temperature, 2),
        humidity: round(humidity, 1),
        battery: round(battery, 3),
        door,
        ok: Math.abs(drift) < 2.5 && battery > 5,
        seq,
      };
      adjust?.(all);
      const values: TelemetryPointPayload['values'] = {};
      for (const key of keys) values[key] = all[key];
      return { ts, values };
    },
  };
}
/** One simulated sensor's state; see `createDeviceSignal`. */
export type DeviceSignal = ReturnType<typeof createDeviceSignal>;

/**
 * The next message of a device: `batch` points (default 1) spread evenly over the
 * `intervalMs` that ends at `now`, as a sensor sampling between two uploads would. One point
 * is sent bare, several as an array; both shapes are what the intake accepts.
 */
export function nextMessage(signal: DeviceSignal, now: number, intervalMs: number, batch = 1): OutgoingMessage {
  const step = batch > 1 ? intervalMs / batch : 0;
  const points: TelemetryPointPayload[] = [];
  for (let i = 0; i < batch; i++) points.push(signal.next(now - (batch - 1 - i) * step));
  const last = points[points.length - 1]!;
  const dataPoints = points.reduce((n, p) => n + Object.keys(p.values).length, 0);
  return { payload: batch === 1 ? last : points, points: batch, dataPoints, seq: signal.seq, ts: last.ts };
}

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
