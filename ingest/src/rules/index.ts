// The rule worker: telemetry.v1 → rule engine → alert.signals.v1 (see rule-worker.ts).
export { createRuleWorker, type RuleWorker, type RuleWorkerOptions } from './rule-worker';
export { createRuleWorkerMetrics, type RuleWorkerMetrics } from './metrics';
export { createRuleSet, parseRuleRow, targets, type DeviceFacts, type RuleSet } from './rule-set';
export { createStateStore, stateKey, type StateStore } from './state-store';
export * from './engine';
