// The rule engine: pure evaluation of a RuleSpec, point by point and tick by tick, over a
// serializable per-(rule, device) state. No I/O: the worker (../rule-worker.ts) feeds it.
export { evaluateCondition, formatValue, leavesOf, thresholdOf, type Observation, type Truth, type Verdict, type Witness } from './conditions';
export { evaluatePoint, evaluateTick, needsTicks, type EngineRule, type Evaluation, type Point, type Transition } from './evaluate';
export { signalIdOf, toSignal } from './signal';
export { freshState, ruleStateSchema, stateForVersion, type RuleState } from './state';
