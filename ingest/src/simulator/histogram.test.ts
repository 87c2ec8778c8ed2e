import { LatencyHistogram } from './histogram';
import { seededRandom } from './telemetry';

const within = (actual: number, expected: number, relative = 0.015) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.abs(expected) * relative);

describe('LatencyHistogram', () => {
  it('is all zeros when empty', () => {
    const h = new LatencyHistogram();
    expect(h.summary()).toEqual({ count: 0, min: 0, max: 0, mean: 0, p50: 0, p95: 0, p99: 0 });
    expect(h.buckets()).toEqual([]);
  });

  it('matches the percentiles of a uniform distribution 1…10,000 within ~1%', () => {
    const h = new LatencyHistogram();
    for (let v = 1; v <= 10_000; v++) h.record(v);
    within(h.percentile(50), 5_000);
    within(h.percentile(95), 9_500);
    within(h.percentile(99), 9_900);
    expect(h.percentile(100)).toBe(10_000);
    expect(h.percentile(0)).toBe(1);
    expect(h.min).toBe(1);
    expect(h.max).toBe(10_000);
    expect(h.mean).toBeCloseTo(5_000.5, 6);
  });

  it('matches the quantiles of an exponential distribution (mean 5 ms) within ~1.5%', () => {
    const random = seededRandom(42);
    const h = new LatencyHistogram();
    const values: number[] = [];
    for (let i = 0; i < 200_000; i++) {
      const v = -5 * Math.log(1 - random());
      values.push(v);
      h.record(v);
    }
    values.sort((a, b) => a - b);
    for (const p of [50, 90, 95, 99, 99.9]) {
      within(h.percentile(p), values[Math.ceil((p / 100) * values.length) - 1]!);
    }
    // And the theoretical ones: −5·ln(1 − p).
    within(h.percentile(50), 5 * Math.LN2, 0.03);
    within(h.percentile(99), -5 * Math.log(0.01), 0.03);
  });

  it('keeps sub-microsecond and hour-long values without losing count, min or max', () => {
    const h = new LatencyHistogram();
    h.record(0);
    h.record(0.0001);
    h.record(5_000_000);
    expect(h.count).toBe(3);
    expect(h.min).toBe(0);
    expect(h.max).toBe(5_000_000);
    expect(h.percentile(100)).toBe(5_000_000);
  });

  it('ignores negative and non-finite values', () => {
    const h = new LatencyHistogram();
    for (const v of [-1, Number.NaN, Number.POSITIVE_INFINITY]) h.record(v);
    expect(h.count).toBe(0);
  });

  it('refuses percentiles outside 0…100', () => {
    const h = new LatencyHistogram();
    expect(() => h.percentile(101)).toThrow(RangeError);
    expect(() => h.percentile(-1)).toThrow(RangeError);
    expect(() => h.percentile(Number.NaN)).toThrow(RangeError);
  });

  it('merges windows into the same distribution as recording everything once', () => {
    const all = new LatencyHistogram();
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let v = 1; v <= 1_000; v++) {
      all.record(v / 10);
      (v % 2 ? a : b).record(v / 10);
    }
    const merged = new LatencyHistogram().merge(a).merge(b);
    expect(merged.summary()).toEqual(all.summary());
  });

  it('regroups into gap-free log buckets per decade that hold every value', () => {
    const h = new LatencyHistogram();
    for (const v of [0.5, 0.7, 3, 3.1, 42, 980]) h.record(v);
    const buckets = h.buckets(10);
    expect(buckets[0]!.lo).toBeCloseTo(0.1, 10);
    expect(buckets[buckets.length - 1]!.hi).toBeCloseTo(1_000, 6);
    expect(buckets).toHaveLength(40); // four decades: 0.1…1…10…100…1000
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.lo).toBeCloseTo(buckets[i - 1]!.hi, 10);
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(6);
    const holding = (v: number) => buckets.find((b) => b.lo <= v && v < b.hi)!.count;
    expect(holding(3.05)).toBe(2);
    expect(holding(980)).toBe(1);
  });
});
