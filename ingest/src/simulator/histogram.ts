/** One bucket of a histogram view: values in [lo, hi). */
export interface HistogramBucket {
  lo: number;
  hi: number;
  count: number;
}

/** What `LatencyHistogram.summary()` reports, in the recorded unit (milliseconds here). */
export interface HistogramSummary {
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
}

// Geometric buckets: each is 2% wider than the one before, so any percentile is within ~1%
// of the true value, like HdrHistogram with two significant digits, in under 1,000 slots.
const GROWTH = 1.02;
const LOWEST = 0.001; // 1 µs when recording milliseconds
const HIGHEST = 3_600_000; // 1 h
const LOG_GROWTH = Math.log(GROWTH);
const SLOTS = Math.ceil(Math.log(HIGHEST / LOWEST) / LOG_GROWTH) + 1;

/**
 * A log-bucketed latency histogram (HDR-ish, no dependencies). Records non-negative values
 * (milliseconds by convention) from 1 µs to 1 h with ~1% relative error; smaller values land
 * in the lowest bucket, larger ones in the highest, and min, max, count and mean stay exact.
 * Negative and non-finite values are ignored, because a clock stepping back must not poison
 * a whole run's percentiles.
 */
export class LatencyHistogram {
  private readonly counts = new Float64Array(SLOTS);
  private total = 0;
  private sum = 0;
  private low = Number.POSITIVE_INFINITY;
  private high = Number.NEGATIVE_INFINITY;

  /** Records one value. */
  record(value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    this.counts[slotOf(value)]! += 1;
    this.total += 1;
    this.sum += value;
    if (value < this.low) this.low = value;
    if (value > this.high) this.high = value;
  }

  /** Adds every value recorded in `other` (e.g. per-interval windows into a run total). */
  merge(other: LatencyHistogram): this {
    for (let i = 0; i < SLOTS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sum += other.sum;
    this.low = Math.min(this.low, other.low);
    this.high = Math.max(this.high, other.high);
    return this;
  }

  get count(): number {
    return this.total;
  }

  get min(): number {
    return this.total ? this.low : 0;
  }

  get max(): number {
    return this.total ? this.high : 0;
  }

  get mean(): number {
    return this.total ? this.sum / this.total : 0;
  }

  /**
   * The value below which `p` percent of the recorded values fall (nearest rank), e.g.
   * `percentile(95)`. 0 when empty; `percentile(100)` is the exact maximum. Throws a
   * RangeError for `p` outside [0, 100].
   */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within [0, 100], got ${p}`);
    if (this.total === 0) return 0;
    if (p === 100) return this.high;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < SLOTS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return clamp(representative(i), this.low, this.high);
    }
    return this.high;
  }

  /** Count, min, max, mean and the percentiles every report shows. */
  summary(): HistogramSummary {
    return {
      count: this.total,
      min: this.min,
      max: this.max,
      mean: this.mean,
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
    };
  }

  /**
   * The distribution regrouped into `perDecade` log-spaced buckets per power of ten (default
   * 10), from the decade holding the minimum to the one holding the maximum; empty buckets
   * inside that range are kept so a chart has no gaps. Empty when nothing was recorded.
   */
  buckets(perDecade = 10): HistogramBucket[] {
    if (this.total === 0) return [];
    const firstDecade = Math.floor(Math.log10(Math.max(this.low, LOWEST)));
    const lastDecade = Math.floor(Math.log10(Math.max(this.high, LOWEST)));
    const edges: number[] = [];
    for (let d = firstDecade; d <= lastDecade; d++) {
      for (let k = 0; k < perDecade; k++) edges.push(10 ** (d + k / perDecade));
    }
    edges.push(10 ** (lastDecade + 1));
    const out = edges.slice(0, -1).map((lo, i) => ({ lo, hi: edges[i + 1]!, count: 0 }));
    for (let i = 0; i < SLOTS; i++) {
      const n = this.counts[i]!;
      if (n === 0) continue;
      const value = clamp(representative(i), this.low, this.high);
      out[indexOfBucket(out, value)]!.count += n;
    }
    return out;
  }
}

function slotOf(value: number): number {
  if (value <= LOWEST) return 0;
  return Math.min(SLOTS - 1, Math.ceil(Math.log(value / LOWEST) / LOG_GROWTH));
}

/** The geometric middle of a slot: at most half a bucket (~1%) from any value in it. */
function representative(slot: number): number {
  if (slot === 0) return LOWEST;
  return LOWEST * GROWTH ** (slot - 0.5);
}

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}

function indexOfBucket(buckets: HistogramBucket[], value: number): number {
  let lo = 0;
  let hi = buckets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (buckets[mid]!.lo <= value) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
