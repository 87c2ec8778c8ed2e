import type { AlertSignal } from '@ump/core';
import type { EngineRule, Transition } from './evaluate';

/**
 * The deterministic id of a transition: the same pair, type and instant always give the same
 * id, so a batch evaluated again after a crash republishes the ids the alert side has seen.
 * `at` is strictly increasing per pair (escalations included), so ids never collide.
 */
export function signalIdOf(ruleId: string, deviceId: string, type: Transition['type'], at: number): string {
  return `${ruleId}:${deviceId}:${type}:${at}`;
}

/** The `alert.signals.v1` message of a transition. */
export function toSignal(rule: Pick<EngineRule, 'id' | 'tenantId'>, deviceId: string, transition: Transition): AlertSignal {
  return {
    signalId: signalIdOf(rule.id, deviceId, transition.type, transition.at),
    type: transition.type,
    tenantId: rule.tenantId,
    ruleId: rule.id,
    deviceId,
    severity: transition.severity,
    at: transition.at,
    evidence: transition.evidence,
  };
}
