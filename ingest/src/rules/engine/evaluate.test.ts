import { randomUUID } from 'node:crypto';
import { alertSignalsTopic, ruleSpecSchema, type RuleSpec, type Severity, type TelemetryValue } from '@ump/core';
import { evaluatePoint, evaluateTick, type EngineRule, type Transition } from './evaluate';
import { toSignal } from './signal';
import { ruleStateSchema, type RuleState } from './state';

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);
const s = (seconds: number) => T0 + seconds * 1000;

function ruleOf(spec: RuleSpec, version = 1, severity: Severity = 'MINOR'): EngineRule {
  return { id: randomUUID(), tenantId: randomUUID(), severity, version, spec: ruleSpecSchema.parse(spec) };
}

type Step = { at: number; values: Record<string, TelemetryValue> } | { tick: number };

/**
 * Feeds a rule points and ticks in order, passing the state through JSON between every step
 * (as the worker does through the cache), and returns every transition plus the last state.
 */
function run(rule: EngineRule, steps: Step[], start?: RuleState) {
  let state = start;
  const transitions: Transition[] = [];
  for (const item of steps) {
    const result = 'tick' in item
      ? evaluateTick(rule, state!, item.tick)
      : evaluatePoint(rule, state, { ts: item.at, values: item.values });
    state = ruleStateSchema.parse(JSON.parse(JSON.stringify(result.state)));
    transitions.push(...result.transitions);
  }
  return { transitions, state: state! };
}

const points = (key: string, series: Array<[number, TelemetryValue]>): Step[] => series.map(([sec, value]) => ({ at: s(sec), values: { [key]: value } }));
const brief = (list: Transition[]) => list.map((t) => `${t.type}@${(t.at - T0) / 1000}:${t.severity}`);

describe('rule engine: leaves', () => {
  it.each<[string, RuleSpec['condition'], TelemetryValue | undefined, boolean]>([
    ['GT above', { key: 'x', op: 'GT', value: 80 }, 80.5, true],
    ['GT equal', { key: 'x', op: 'GT', value: 80 }, 80, false],
    ['GTE equal', { key: 'x', op: 'GTE', value: 80 }, 80, true],
    ['LT below', { key: 'x', op: 'LT', value: 0 }, -1, true],
    ['LT equal', { key: 'x', op: 'LT', value: 0 }, 0, false],
    ['LTE equal', { key: 'x', op: 'LTE', value: 0 }, 0, true],
    ['EQ number', { key: 'x', op: 'EQ', value: 3 }, 3, true],
    ['NEQ number', { key: 'x', op: 'NEQ', value: 3 }, 3, false],
    ['EQ string', { key: 'x', op: 'EQ', value: 'open' }, 'open', true],
    ['EQ string differs', { key: 'x', op: 'EQ', value: 'open' }, 'closed', false],
    ['NEQ string', { key: 'x', op: 'NEQ', value: 'open' }, 'closed', true],
    ['EQ boolean', { key: 'x', op: 'EQ', value: false }, false, true],
    ['NEQ boolean', { key: 'x', op: 'NEQ', value: true }, true, false],
    ['GT on a string is unknown', { key: 'x', op: 'GT', value: 1 }, 'high', false],
    ['EQ across types is unknown', { key: 'x', op: 'EQ', value: '1' }, 1, false],
    ['NEQ across types is unknown, not true', { key: 'x', op: 'NEQ', value: '1' }, 1, false],
    ['missing key is unknown', { key: 'x', op: 'LT', value: 100 }, undefined, false],
    ['IN_RANGE inside', { key: 'x', op: 'IN_RANGE', min: 10, max: 20 }, 15, true],
    ['IN_RANGE at min', { key: 'x', op: 'IN_RANGE', min: 10, max: 20 }, 10, true],
    ['IN_RANGE at max', { key: 'x', op: 'IN_RANGE', min: 10, max: 20 }, 20, true],
    ['IN_RANGE outside', { key: 'x', op: 'IN_RANGE', min: 10, max: 20 }, 20.1, false],
    ['OUT_OF_RANGE outside', { key: 'x', op: 'OUT_OF_RANGE', min: 10, max: 20 }, 9, true],
    ['OUT_OF_RANGE at max', { key: 'x', op: 'OUT_OF_RANGE', min: 10, max: 20 }, 20, false],
    ['OUT_OF_RANGE on a boolean is unknown', { key: 'x', op: 'OUT_OF_RANGE', min: 10, max: 20 }, true, false],
  ])('%s', (_name, condition, value, fires) => {
    const rule = ruleOf({ condition });
    const { transitions } = run(rule, [{ at: s(0), values: value === undefined ? { other: 1 } : { x: value } }]);
    expect(transitions.map((t) => t.type)).toEqual(fires ? ['firing'] : []);
  });

  it.each<[string, RuleSpec['condition'], Record<string, TelemetryValue>, 'true' | 'false' | 'unknown']>([
    ['all: every child true', { all: [{ key: 'a', op: 'GT', value: 0 }, { key: 'b', op: 'GT', value: 0 }] }, { a: 1, b: 1 }, 'true'],
    ['all: one child false', { all: [{ key: 'a', op: 'GT', value: 0 }, { key: 'b', op: 'GT', value: 0 }] }, { a: 1, b: -1 }, 'false'],
    ['all: one child unknown', { all: [{ key: 'a', op: 'GT', value: 0 }, { key: 'b', op: 'GT', value: 0 }] }, { a: 1 }, 'unknown'],
    ['all: false beats unknown', { all: [{ key: 'a', op: 'GT', value: 0 }, { key: 'b', op: 'GT', value: 0 }] }, { a: -1 }, 'false'],
    ['any: one child true', { any: [{ key: 'a', op: 'GT', value: 0 }, { key: 'b', op: 'GT', value: 0 }] }, { a: -1, b: 1 }, 'true'],
    ['any: true beats unknown', { any: [{ key: 'a', op: 'GT', value: 0 }, { key: 'b', op: 'GT', value: 0 }] }, { b: 1 }, 'true'],
    ['any: every child false', { any: [{ key: 'a', op: 'GT', value: 0 }, { key: 'b', op: 'GT', value: 0 }] }, { a: -1, b: -1 }, 'false'],
    ['any: false and unknown', { any: [{ key: 'a', op: 'GT', value: 0 }, { key: 'b', op: 'GT', value: 0 }] }, { a: -1 }, 'unknown'],
    ['nested', { any: [{ all: [{ key: 'a', op: 'GT', value: 0 }, { key: 'b', op: 'EQ', value: 'on' }] }, { key: 'c', op: 'EQ', value: true }] }, { a: 2, b: 'on', c: false }, 'true'],
  ])('%s', (_name, condition, values, expected) => {
    // Raise with a true point first so a false verdict shows as a clear and unknown as nothing.
    const rule = ruleOf({ condition });
    const first = run(rule, [{ at: s(0), values }]);
    if (expected === 'true') return expect(brief(first.transitions)).toEqual(['firing@0:MINOR']);
    expect(first.transitions).toEqual([]);
    const always = ruleOf({ condition, clearCondition: condition });
    const raised: RuleState = { ...first.state, active: true, severity: 'MINOR', raisedAt: s(-1), ruleVersion: always.version };
    const cleared = run(always, [{ at: s(1), values }], raised);
    expect(cleared.transitions).toEqual([]);
    const negated = run({ ...rule }, [{ at: s(1), values }], raised);
    expect(negated.transitions.map((t) => t.type)).toEqual(expected === 'false' ? ['resolved'] : []);
  });
});

describe('rule engine: raise and clear', () => {
  const overheat: RuleSpec = { condition: { key: 'temperature', op: 'GT', value: 80 } };

  it('raises once when a point crosses the threshold and clears when the condition stops holding', () => {
    const rule = ruleOf(overheat, 1, 'MAJOR');
    const { transitions } = run(rule, points('temperature', [[0, 70], [10, 85.25], [20, 90], [30, 80], [40, 95]]));
    expect(brief(transitions)).toEqual(['firing@10:MAJOR', 'resolved@30:MAJOR', 'firing@40:MAJOR']);
    expect(transitions[0]!.evidence).toEqual({ key: 'temperature', value: 85.25, threshold: '> 80', text: 'temperature 85.25 > 80' });
    expect(transitions[1]!.evidence).toEqual({ key: 'temperature', value: 80, threshold: '> 80', text: 'temperature 80 not > 80' });
  });

  it('neither clears nor raises on a point without the key', () => {
    const rule = ruleOf(overheat);
    const steps: Step[] = [{ at: s(0), values: { temperature: 85 } }, { at: s(5), values: { humidity: 10 } }, { at: s(6), values: { temperature: 'n/a' } }];
    expect(brief(run(rule, steps).transitions)).toEqual(['firing@0:MINOR']);
  });

  it('forSeconds: raises only once the condition held that long on point timestamps', () => {
    const rule = ruleOf({ ...overheat, forSeconds: 60 });
    const { transitions } = run(rule, points('temperature', [[0, 85], [30, 86], [59, 87], [61, 88], [70, 89]]));
    expect(brief(transitions)).toEqual(['firing@61:MINOR']);
    expect(transitions[0]!.evidence).toMatchObject({ windowSeconds: 61, text: 'temperature 88 > 80 for 61 s' });
  });

  it('forSeconds: a point below the threshold restarts the window, a point without the key does not', () => {
    const rule = ruleOf({ ...overheat, forSeconds: 60 });
    const broken = run(rule, points('temperature', [[0, 85], [30, 70], [40, 85], [90, 85], [100, 85]]));
    expect(brief(broken.transitions)).toEqual(['firing@100:MINOR']);
    const gap: Step[] = [{ at: s(0), values: { temperature: 85 } }, { at: s(30), values: { humidity: 1 } }, { at: s(60), values: { temperature: 85 } }];
    expect(brief(run(rule, gap).transitions)).toEqual(['firing@60:MINOR']);
  });

  it('repeat: raises when count points match within the window', () => {
    const rule = ruleOf({ ...overheat, repeat: { count: 3, windowSeconds: 60 } });
    // 0 and 10 match, 65 drops 0 from the window, 70 is the third match within 60 s of 10.
    const { transitions } = run(rule, points('temperature', [[0, 85], [10, 85], [20, 50], [65, 85], [70, 85]]));
    expect(brief(transitions)).toEqual(['firing@70:MINOR']);
    expect(transitions[0]!.evidence).toMatchObject({ count: 3, windowSeconds: 60, text: 'temperature 85 > 80 (3 times in 60 s)' });
    const sparse = run(rule, points('temperature', [[0, 85], [61, 85], [122, 85]]));
    expect(sparse.transitions).toEqual([]);
  });

  it('clearCondition: hysteresis raises above 80 and clears only below 75', () => {
    const rule = ruleOf({ ...overheat, clearCondition: { key: 'temperature', op: 'LT', value: 75 } });
    const { transitions } = run(rule, points('temperature', [[0, 81], [10, 78], [20, 79], [30, 74], [40, 78], [50, 81]]));
    expect(brief(transitions)).toEqual(['firing@0:MINOR', 'resolved@30:MINOR', 'firing@50:MINOR']);
    expect(transitions[1]!.evidence).toEqual({ key: 'temperature', value: 74, threshold: '< 75', text: 'temperature 74 < 75' });
  });

  it('clearForSeconds: the clear condition must hold that long; a relapse restarts it', () => {
    const rule = ruleOf({ ...overheat, clearCondition: { key: 'temperature', op: 'LT', value: 75 }, clearForSeconds: 30 });
    const { transitions } = run(rule, points('temperature', [[0, 90], [10, 70], [20, 76], [30, 70], [50, 70], [60, 70]]));
    expect(brief(transitions)).toEqual(['firing@0:MINOR', 'resolved@60:MINOR']);
    expect(transitions[1]!.evidence).toMatchObject({ windowSeconds: 30, text: 'temperature 70 < 75 for 30 s' });
  });

  it('RATE_GT / RATE_LT: per second between consecutive points of the key', () => {
    const rising = ruleOf({ condition: { key: 'p', op: 'RATE_GT', value: 1 } });
    // +5 over 10 s = 0.5/s; +30 over 10 s = 3/s (the point without p is skipped, not a zero).
    const steps: Step[] = [...points('p', [[0, 0], [10, 5]]), { at: s(15), values: { q: 1 } }, ...points('p', [[20, 35], [30, 36]])];
    const { transitions } = run(rising, steps);
    expect(brief(transitions)).toEqual(['firing@20:MINOR', 'resolved@30:MINOR']);
    expect(transitions[0]!.evidence).toMatchObject({ key: 'p', value: 3, threshold: 'rate > 1/s', text: 'p rate 3/s > 1/s' });
    const falling = ruleOf({ condition: { key: 'p', op: 'RATE_LT', value: -2 } });
    expect(brief(run(falling, points('p', [[0, 100], [10, 50]])).transitions)).toEqual(['firing@10:MINOR']);
    // A single point has no rate: unknown, so it raises nothing.
    expect(run(rising, points('p', [[0, 1000]])).transitions).toEqual([]);
  });
});

describe('rule engine: time passing (ticks)', () => {
  it('NO_DATA raises at the silence deadline, once, and clears when data comes back', () => {
    const rule = ruleOf({ condition: { op: 'NO_DATA', seconds: 300 } }, 1, 'WARNING');
    const { transitions, state } = run(rule, [
      { at: s(0), values: { t: 1 } },
      { tick: s(299) },
      { tick: s(420) },
      { tick: s(500) },
      { at: s(600), values: { t: 2 } },
      { tick: s(700) },
    ]);
    expect(brief(transitions)).toEqual(['firing@300:WARNING', 'resolved@600:WARNING']);
    expect(transitions[0]!.evidence).toEqual({ threshold: 'no data for 300 s', text: 'no data for 300 s' });
    expect(transitions[1]!.evidence.text).toBe('data received');
    expect(state.active).toBe(false);
  });

  it('keyed NO_DATA: points of other keys do not count as data', () => {
    const rule = ruleOf({ condition: { op: 'NO_DATA', key: 'battery', seconds: 60 } });
    const { transitions } = run(rule, [
      { at: s(0), values: { battery: 90 } },
      { at: s(30), values: { temperature: 20 } },
      { tick: s(59) },
      { tick: s(61) },
      { at: s(62), values: { temperature: 20 } },
      { at: s(70), values: { battery: 89 } },
    ]);
    expect(brief(transitions)).toEqual(['firing@60:MINOR', 'resolved@70:MINOR']);
  });

  it('a tick never raises or clears a value condition', () => {
    const rule = ruleOf({ condition: { key: 'temperature', op: 'GT', value: 80 }, forSeconds: 10 });
    expect(run(rule, [{ at: s(0), values: { temperature: 90 } }, { tick: s(100) }]).transitions).toEqual([]);
  });

  it('escalates once per step while firing, at raise + afterSeconds, and resolves at the last severity', () => {
    const rule = ruleOf({
      condition: { key: 'temperature', op: 'GT', value: 80 },
      escalation: [{ afterSeconds: 60, severity: 'MAJOR' }, { afterSeconds: 300, severity: 'CRITICAL' }],
    }, 1, 'WARNING');
    const { transitions } = run(rule, [
      { at: s(10), values: { temperature: 90 } },
      { tick: s(69) },
      { tick: s(75) },
      { tick: s(80) },
      { at: s(100), values: { temperature: 91 } },
      { tick: s(400) },
      { tick: s(500) },
      { at: s(510), values: { temperature: 20 } },
      { tick: s(2000) },
    ]);
    expect(brief(transitions)).toEqual(['firing@10:WARNING', 'firing@70:MAJOR', 'firing@310:CRITICAL', 'resolved@510:CRITICAL']);
    expect(transitions[1]!.evidence).toEqual({ windowSeconds: 60, text: 'still active after 60 s: escalated to MAJOR' });
  });

  it('takes escalation steps in order of delay, and silently skips a step that would not raise the severity', () => {
    const rule = ruleOf({
      condition: { key: 'x', op: 'GT', value: 0 },
      escalation: [{ afterSeconds: 120, severity: 'CRITICAL' }, { afterSeconds: 30, severity: 'INFO' }, { afterSeconds: 60, severity: 'MAJOR' }],
    });
    const { transitions } = run(rule, [{ at: s(0), values: { x: 1 } }, { tick: s(45) }, { tick: s(90) }, { tick: s(200) }]);
    expect(brief(transitions)).toEqual(['firing@0:MINOR', 'firing@60:MAJOR', 'firing@120:CRITICAL']);
  });

  it('escalates on a point too, when no tick ran in between', () => {
    const rule = ruleOf({ condition: { key: 'x', op: 'GT', value: 0 }, escalation: [{ afterSeconds: 60, severity: 'CRITICAL' }] });
    const { transitions } = run(rule, points('x', [[0, 1], [90, 1], [100, -1]]));
    expect(brief(transitions)).toEqual(['firing@0:MINOR', 'firing@60:CRITICAL', 'resolved@100:CRITICAL']);
  });
});

describe('rule engine: redelivery, order and versions', () => {
  const rule = ruleOf({ condition: { key: 'temperature', op: 'GT', value: 80 }, clearCondition: { key: 'temperature', op: 'LT', value: 75 } });
  const stream = points('temperature', [[0, 70], [10, 85], [20, 90], [30, 70], [40, 85]]);

  it('ignores points at or before the last evaluated timestamp', () => {
    const first = run(rule, stream);
    expect(brief(first.transitions)).toEqual(['firing@10:MINOR', 'resolved@30:MINOR', 'firing@40:MINOR']);
    // The whole stream again (a redelivery), and an old point out of order: nothing.
    const again = run(rule, [...stream, { at: s(35), values: { temperature: 10 } }], first.state);
    expect(again.transitions).toEqual([]);
    expect(again.state).toEqual(first.state);
  });

  it('gives the same transitions, hence the same signal ids, when a batch is evaluated again from the same state', () => {
    const before = run(rule, stream.slice(0, 2));
    const once = run(rule, stream.slice(2), before.state);
    const twice = run(rule, stream.slice(2), before.state);
    expect(twice.transitions).toEqual(once.transitions);
    const ids = (list: Transition[]) => list.map((t) => toSignal(rule, 'd', t).signalId);
    expect(ids(twice.transitions)).toEqual(ids(once.transitions));
  });

  it('keeps `at` strictly increasing: a late point after a silence alert clears just after it', () => {
    const silent = ruleOf({ condition: { op: 'NO_DATA', seconds: 60 } });
    const { transitions } = run(silent, [{ at: s(0), values: { x: 1 } }, { tick: s(100) }, { at: s(50), values: { x: 2 } }]);
    expect(transitions.map((t) => t.at - T0)).toEqual([60_000, 60_001]);
    expect(transitions.map((t) => t.type)).toEqual(['firing', 'resolved']);
  });

  it('a new rule version restarts the windows but still clears what the old version raised', () => {
    const v1 = ruleOf({ condition: { key: 'temperature', op: 'GT', value: 80 }, forSeconds: 20 });
    const raised = run(v1, points('temperature', [[0, 85], [20, 85]]));
    expect(brief(raised.transitions)).toEqual(['firing@20:MINOR']);
    // v2: a higher threshold; 85 no longer holds, so the alert clears under the new logic.
    const v2: EngineRule = { ...v1, version: 2, spec: ruleSpecSchema.parse({ condition: { key: 'temperature', op: 'GT', value: 90 }, forSeconds: 20 }) };
    const cleared = run(v2, points('temperature', [[30, 85]]), raised.state);
    expect(brief(cleared.transitions)).toEqual(['resolved@30:MINOR']);
    expect(cleared.state.ruleVersion).toBe(2);
    // A pending window of v1 does not count for v2.
    const pending = run(v1, points('temperature', [[0, 95], [10, 95]]));
    expect(run(v2, points('temperature', [[25, 95]]), pending.state).transitions).toEqual([]);
  });

  it('produces signals that satisfy the alert.signals.v1 contract', () => {
    const { transitions } = run(rule, stream);
    for (const transition of transitions) {
      const signal = toSignal(rule, randomUUID(), transition);
      expect(alertSignalsTopic.parse(signal)).toEqual({ ok: true, value: signal });
      expect(signal.signalId).toBe(`${rule.id}:${signal.deviceId}:${transition.type}:${transition.at}`);
    }
  });
});
