import type { Condition, LeafCondition, TelemetryValue } from '@ump/core';

/**
 * Three-valued truth: `undefined` is "unknown" — the point does not carry the leaf's key
 * (or carries a value of the wrong type), so the leaf neither matches nor fails. Unknown
 * never raises or clears anything and never breaks a sustained window.
 */
export type Truth = boolean | undefined;

/** What a leaf saw, for the signal's evidence. */
export interface Witness {
  key?: string;
  value?: TelemetryValue;
  /** The leaf's threshold, e.g. `> 80`, `in [10, 20]`, `no data for 300 s`. */
  threshold: string;
  /** One readable line, e.g. `temperature 85.2 > 80`. */
  text: string;
}

/** A condition's truth at one instant, with the leaves that decided it. */
export interface Verdict {
  truth: Truth;
  witnesses: Witness[];
}

/** What the engine knows at the instant it evaluates a condition. */
export interface Observation {
  /** The instant (epoch ms): a point's timestamp or a silence deadline. */
  t: number;
  /** The point's values; absent when evaluating time alone (a tick). */
  values?: Record<string, TelemetryValue>;
  /** Rate of change per second of a key, between the previous point carrying it and this one. */
  rates: Record<string, number>;
  /** When data (of `key`, or of any key) was last seen before this instant. */
  lastSeen(key: string | undefined): number;
}

const symbols = { GT: '>', GTE: '>=', LT: '<', LTE: '<=', EQ: '=', NEQ: '!=' } as const;

/** Short, stable number formatting for texts: at most 4 decimals, no float noise. */
export function formatValue(value: TelemetryValue): string {
  if (typeof value === 'number') return String(Math.round(value * 10_000) / 10_000);
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** The threshold of a leaf as people write it: `> 80`, `outside [10, 20]`, `rate > 2/s`. */
export function thresholdOf(leaf: LeafCondition): string {
  switch (leaf.op) {
    case 'IN_RANGE':
      return `in [${leaf.min}, ${leaf.max}]`;
    case 'OUT_OF_RANGE':
      return `outside [${leaf.min}, ${leaf.max}]`;
    case 'RATE_GT':
      return `rate > ${formatValue(leaf.value)}/s`;
    case 'RATE_LT':
      return `rate < ${formatValue(leaf.value)}/s`;
    case 'NO_DATA':
      return `no ${leaf.key ?? 'data'} for ${leaf.seconds} s`;
    default:
      return `${symbols[leaf.op]} ${formatValue(leaf.value)}`;
  }
}

function compare(op: keyof typeof symbols, actual: TelemetryValue, expected: TelemetryValue): Truth {
  if (op === 'EQ' || op === 'NEQ') {
    // A number never equals a string: different types are unknown, not "not equal", so a
    // device that changes a key's type does not clear (or raise) anything by accident.
    if (typeof actual !== typeof expected) return undefined;
    return op === 'EQ' ? actual === expected : actual !== expected;
  }
  if (typeof actual !== 'number' || typeof expected !== 'number') return undefined;
  if (op === 'GT') return actual > expected;
  if (op === 'GTE') return actual >= expected;
  if (op === 'LT') return actual < expected;
  return actual <= expected;
}

function leafVerdict(leaf: LeafCondition, obs: Observation): Verdict {
  const threshold = thresholdOf(leaf);
  if (leaf.op === 'NO_DATA') {
    const arrived = obs.values !== undefined && (leaf.key === undefined || leaf.key in obs.values);
    if (arrived) return { truth: false, witnesses: [{ key: leaf.key, threshold, text: `${leaf.key ?? 'data'} received` }] };
    const silentSeconds = Math.floor((obs.t - obs.lastSeen(leaf.key)) / 1000);
    const truth = silentSeconds >= leaf.seconds;
    const text = `no ${leaf.key ?? 'data'} for ${silentSeconds} s${truth ? '' : ` (limit ${leaf.seconds} s)`}`;
    return { truth, witnesses: [{ key: leaf.key, threshold, text }] };
  }
  if (leaf.op === 'RATE_GT' || leaf.op === 'RATE_LT') {
    const rate = obs.rates[leaf.key];
    if (rate === undefined) return { truth: undefined, witnesses: [] };
    const truth = leaf.op === 'RATE_GT' ? rate > leaf.value : rate < leaf.value;
    const text = `${leaf.key} rate ${formatValue(rate)}/s ${truth ? '' : 'not '}${leaf.op === 'RATE_GT' ? '>' : '<'} ${formatValue(leaf.value)}/s`;
    return { truth, witnesses: [{ key: leaf.key, value: rate, threshold, text }] };
  }
  const value = obs.values?.[leaf.key];
  if (value === undefined) return { truth: undefined, witnesses: [] };
  let truth: Truth;
  if ('min' in leaf) {
    const inside = typeof value === 'number' ? value >= leaf.min && value <= leaf.max : undefined;
    truth = inside === undefined ? undefined : leaf.op === 'IN_RANGE' ? inside : !inside;
  } else {
    truth = compare(leaf.op, value, leaf.value);
  }
  if (truth === undefined) return { truth, witnesses: [] };
  return { truth, witnesses: [{ key: leaf.key, value, threshold, text: `${leaf.key} ${formatValue(value)} ${truth ? '' : 'not '}${threshold}` }] };
}

/**
 * Evaluates a condition at one instant. `all` is true when every child is true, false when
 * one is false, unknown otherwise; `any` is true when one child is true, false when every
 * child is false, unknown otherwise. Witnesses are the leaves that decided the outcome.
 */
export function evaluateCondition(condition: Condition, obs: Observation): Verdict {
  if ('all' in condition || 'any' in condition) {
    const isAll = 'all' in condition;
    const children = (isAll ? condition.all : condition.any).map((child) => evaluateCondition(child, obs));
    const deciding = isAll ? false : true;
    const decided = children.filter((c) => c.truth === deciding);
    if (decided.length > 0) return { truth: deciding, witnesses: decided[0]!.witnesses };
    if (children.every((c) => c.truth === !deciding)) return { truth: !deciding, witnesses: children.flatMap((c) => c.witnesses) };
    return { truth: undefined, witnesses: [] };
  }
  return leafVerdict(condition, obs);
}

/** Every leaf of a condition, depth first. */
export function leavesOf(condition: Condition | undefined): LeafCondition[] {
  if (!condition) return [];
  if ('all' in condition) return condition.all.flatMap(leavesOf);
  if ('any' in condition) return condition.any.flatMap(leavesOf);
  return [condition];
}
