import { severityRank, type AlertRuleDefinition, type AlertSignal, type Condition, type TelemetryValue } from '@ump/core';
import { evaluateCondition, leavesOf, type Observation, type Verdict } from './conditions';
import { freshState, stateForVersion, type RuleState } from './state';

/** What the engine needs of a rule. */
export type EngineRule = Pick<AlertRuleDefinition, 'id' | 'tenantId' | 'severity' | 'version' | 'spec'>;

/** A change of a pair's alert state. */
export interface Transition {
  type: AlertSignal['type'];
  severity: AlertSignal['severity'];
  /** Epoch ms: the point's timestamp or the deadline that caused it; strictly increasing per pair. */
  at: number;
  evidence: AlertSignal['evidence'];
}

/** The outcome of one evaluation: the next state (a new object) and the transitions, in order. */
export interface Evaluation {
  state: RuleState;
  transitions: Transition[];
  /** False when nothing in the state changed (a duplicate point, a tick with nothing due). */
  changed: boolean;
}

/** One point of a device: its timestamp and values. */
export interface Point {
  ts: number;
  values: Record<string, TelemetryValue>;
}

const MAX_TEXT = 1024;
// A tick steps through due instants one by one; this bounds the work of one tick.
const MAX_TICK_STEPS = 32;

const seconds = (ms: number) => Math.round(ms / 1000);

function joinText(verdict: Verdict, fallback: string): string {
  const text = verdict.witnesses.map((w) => w.text).join(' and ') || fallback;
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

function evidenceOf(verdict: Verdict, extra: { windowSeconds?: number; count?: number; suffix?: string }, fallback: string): Transition['evidence'] {
  const first = verdict.witnesses[0];
  const base = joinText(verdict, fallback);
  const text = extra.suffix ? `${base}${extra.suffix}`.slice(0, MAX_TEXT) : base;
  return {
    ...(first?.key === undefined ? {} : { key: first.key }),
    ...(first?.value === undefined ? {} : { value: first.value }),
    ...(first ? { threshold: first.threshold } : {}),
    ...(extra.windowSeconds ? { windowSeconds: extra.windowSeconds } : {}),
    ...(extra.count === undefined ? {} : { count: extra.count }),
    text,
  };
}

/** Emits a transition with an `at` strictly after every earlier signal of the pair. */
function emit(state: RuleState, out: Transition[], transition: Omit<Transition, 'at'>, at: number): number {
  const monotonic = state.lastSignalAt === null ? at : Math.max(at, state.lastSignalAt + 1);
  state.lastSignalAt = monotonic;
  out.push({ ...transition, at: monotonic });
  return monotonic;
}

/** The escalation steps, by delay (the schema asks for that order but does not enforce it). */
const stepsOf = (rule: EngineRule) => [...(rule.spec.escalation ?? [])].sort((a, b) => a.afterSeconds - b.afterSeconds);

/** Escalation steps whose delay has passed by `t`, each once, in order. */
function escalate(rule: EngineRule, state: RuleState, t: number, out: Transition[]) {
  const steps = stepsOf(rule);
  while (state.active && state.raisedAt !== null && state.escalations < steps.length) {
    const step = steps[state.escalations]!;
    const due = state.raisedAt + step.afterSeconds * 1000;
    if (due > t) return;
    state.escalations += 1;
    // Steps are meant to raise the severity; one that would not is taken silently.
    if (state.severity !== null && severityRank(step.severity) <= severityRank(state.severity)) continue;
    state.severity = step.severity;
    emit(state, out, {
      type: 'firing',
      severity: step.severity,
      evidence: { windowSeconds: step.afterSeconds, text: `still active after ${step.afterSeconds} s: escalated to ${step.severity}` },
    }, due);
  }
}

function raise(rule: EngineRule, state: RuleState, t: number, verdict: Verdict, out: Transition[], extra: { windowSeconds?: number; count?: number; suffix?: string }) {
  const at = emit(state, out, { type: 'firing', severity: rule.severity, evidence: evidenceOf(verdict, extra, 'condition holds') }, t);
  Object.assign(state, { active: true, severity: rule.severity, raisedAt: at, escalations: 0, holdingSince: null, hits: [], clearingSince: null });
}

function resolve(rule: EngineRule, state: RuleState, t: number, verdict: Verdict, out: Transition[], heldMs: number) {
  const suffix = heldMs > 0 ? ` for ${seconds(heldMs)} s` : '';
  const evidence = evidenceOf(verdict, { windowSeconds: heldMs > 0 ? seconds(heldMs) : undefined, suffix }, 'condition no longer holds');
  emit(state, out, { type: 'resolved', severity: state.severity ?? rule.severity, evidence }, t);
  Object.assign(state, { active: false, severity: null, raisedAt: null, escalations: 0, holdingSince: null, hits: [], clearingSince: null });
}

function negate(verdict: Verdict): Verdict {
  return { truth: verdict.truth === undefined ? undefined : !verdict.truth, witnesses: verdict.witnesses };
}

/** One evaluation of the rule at instant `t`: escalations due, then raise or clear. */
function step(rule: EngineRule, state: RuleState, t: number, judge: (c: Condition) => Verdict, out: Transition[]) {
  const { spec } = rule;
  escalate(rule, state, t, out);
  if (!state.active) {
    const verdict = judge(spec.condition);
    if (verdict.truth === false) state.holdingSince = null;
    if (verdict.truth !== true) return;
    if (spec.repeat) {
      const windowMs = spec.repeat.windowSeconds * 1000;
      state.hits = [...state.hits.filter((hit) => hit >= t - windowMs), t].slice(-spec.repeat.count);
      const count = state.hits.length;
      if (count >= spec.repeat.count) {
        raise(rule, state, t, verdict, out, { windowSeconds: spec.repeat.windowSeconds, count, suffix: ` (${count} times in ${spec.repeat.windowSeconds} s)` });
      }
      return;
    }
    state.holdingSince ??= t;
    const heldMs = t - state.holdingSince;
    if (heldMs >= (spec.forSeconds ?? 0) * 1000) {
      raise(rule, state, t, verdict, out, spec.forSeconds ? { windowSeconds: seconds(heldMs), suffix: ` for ${seconds(heldMs)} s` } : {});
    }
    return;
  }
  const verdict = spec.clearCondition ? judge(spec.clearCondition) : negate(judge(spec.condition));
  if (verdict.truth === false) state.clearingSince = null;
  if (verdict.truth !== true) return;
  state.clearingSince ??= t;
  const heldMs = t - state.clearingSince;
  if (heldMs >= (spec.clearForSeconds ?? 0) * 1000) resolve(rule, state, t, verdict, out, heldMs);
}

function copy(state: RuleState): RuleState {
  return { ...state, lastSeen: { ...state.lastSeen }, previous: { ...state.previous }, hits: [...state.hits] };
}

const lastSeenOf = (state: RuleState) => (key: string | undefined) =>
  key === undefined ? state.lastTs : (state.lastSeen[key] ?? state.since);

/**
 * Evaluates a rule on one point of a device. `state` is the pair's state (undefined for a
 * pair never seen); a state of an older rule version is carried over (see stateForVersion).
 * A point at or before the last evaluated timestamp is a duplicate (a redelivery, or
 * telemetry out of order) and changes nothing, so the same stream can never raise or clear
 * twice. Never throws on data: values of the wrong type make leaves unknown.
 */
export function evaluatePoint(rule: EngineRule, state: RuleState | undefined, point: Point): Evaluation {
  if (state && point.ts <= state.lastTs) return { state, transitions: [], changed: false };
  const next = state ? copy(stateForVersion(state, rule.version)) : freshState(rule.version, point.ts);
  const leaves = [...leavesOf(rule.spec.condition), ...leavesOf(rule.spec.clearCondition)];

  const rates: Record<string, number> = {};
  for (const leaf of leaves) {
    if ((leaf.op !== 'RATE_GT' && leaf.op !== 'RATE_LT') || leaf.key in rates) continue;
    const value = point.values[leaf.key];
    const before = next.previous[leaf.key];
    if (typeof value === 'number' && before && point.ts > before.ts) rates[leaf.key] = (value - before.value) / ((point.ts - before.ts) / 1000);
  }
  const obs: Observation = { t: point.ts, values: point.values, rates, lastSeen: lastSeenOf(next) };
  const transitions: Transition[] = [];
  step(rule, next, point.ts, (condition) => evaluateCondition(condition, obs), transitions);

  // Remember what the next point (or tick) needs, after judging this one.
  next.lastTs = point.ts;
  for (const leaf of leaves) {
    if (leaf.op === 'NO_DATA' && leaf.key !== undefined && leaf.key in point.values) next.lastSeen[leaf.key] = point.ts;
    if ((leaf.op === 'RATE_GT' || leaf.op === 'RATE_LT') && typeof point.values[leaf.key] === 'number') {
      next.previous[leaf.key] = { ts: point.ts, value: point.values[leaf.key] as number };
    }
  }
  return { state: next, transitions, changed: true };
}

/** Whether a rule needs ticks at all: it watches silence or escalates. */
export function needsTicks(rule: EngineRule): boolean {
  return Boolean(rule.spec.escalation?.length) || hasNoData(rule);
}

function hasNoData(rule: EngineRule): boolean {
  return [...leavesOf(rule.spec.condition), ...leavesOf(rule.spec.clearCondition)].some((leaf) => leaf.op === 'NO_DATA');
}

/** The next instant after `after` and not after `now` at which a tick has something to evaluate. */
function nextDue(rule: EngineRule, state: RuleState, after: number, now: number): number | undefined {
  const { spec } = rule;
  const due: number[] = [];
  if (hasNoData(rule)) {
    for (const leaf of [...leavesOf(spec.condition), ...leavesOf(spec.clearCondition)]) {
      if (leaf.op === 'NO_DATA') due.push(lastSeenOf(state)(leaf.key) + leaf.seconds * 1000);
    }
    if (state.holdingSince !== null && spec.forSeconds) due.push(state.holdingSince + spec.forSeconds * 1000);
    if (state.clearingSince !== null && spec.clearForSeconds) due.push(state.clearingSince + spec.clearForSeconds * 1000);
  }
  const escalation = stepsOf(rule)[state.escalations];
  if (state.active && state.raisedAt !== null && escalation) due.push(state.raisedAt + escalation.afterSeconds * 1000);
  const candidates = due.filter((t) => t > after && t <= now);
  return candidates.length ? Math.min(...candidates) : undefined;
}

/**
 * Lets time pass for a pair that received no point: evaluates, in order, every instant up to
 * `now` at which something falls due — a NO_DATA deadline (last data + its seconds), the end
 * of a sustain or clear window of a silence condition, an escalation step. At a tick only
 * NO_DATA leaves are known (no point means no values), so value conditions neither raise nor
 * clear here. Transitions carry the instant they fell due, not `now`, so two ticks (or two
 * workers) that see the same silence emit the same signal.
 */
export function evaluateTick(rule: EngineRule, state: RuleState, now: number): Evaluation {
  const next = copy(stateForVersion(state, rule.version));
  const transitions: Transition[] = [];
  let cursor = Math.max(next.tickedTo ?? next.lastTs, next.lastTs);
  for (let i = 0; i < MAX_TICK_STEPS; i += 1) {
    const t = nextDue(rule, next, cursor, now);
    if (t === undefined) break;
    const obs: Observation = { t, rates: {}, lastSeen: lastSeenOf(next) };
    step(rule, next, t, (condition) => evaluateCondition(condition, obs), transitions);
    next.tickedTo = cursor = t;
  }
  return { state: next, transitions, changed: next.tickedTo !== state.tickedTo || next.ruleVersion !== state.ruleVersion };
}
