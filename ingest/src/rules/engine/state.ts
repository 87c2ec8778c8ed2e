import { severities } from '@ump/core';
import { z } from 'zod';

const epochMs = z.number().int();

/**
 * Everything the engine remembers about one (rule, device) pair between points: plain JSON,
 * so the worker can persist it (Redis in production) and another worker can continue from
 * it after a partition moves. Validated on read: a state written by another deploy that
 * does not fit is treated as absent.
 */
export const ruleStateSchema = z.object({
  /** The rule version this state's windows belong to. */
  ruleVersion: z.number().int(),
  /** The first point seen for the pair: where silence is measured from for keys never seen. */
  since: epochMs,
  /** Timestamp of the newest point evaluated; points at or before it are duplicates. */
  lastTs: epochMs,
  /** Last point carrying each key a keyed NO_DATA leaf watches. */
  lastSeen: z.record(z.string(), epochMs),
  /** Last numeric value of each key a RATE leaf watches. */
  previous: z.record(z.string(), z.object({ ts: epochMs, value: z.number() })),
  /** The last instant a tick evaluated, so a tick never evaluates an instant twice. */
  tickedTo: epochMs.nullable(),
  /** Firing: the alert this pair raised is active. */
  active: z.boolean(),
  /** While firing: the current severity (the rule's, or the last escalation step's). */
  severity: z.enum(severities).nullable(),
  /** While firing: `at` of the raise; escalation steps count from it. */
  raisedAt: epochMs.nullable(),
  /** While firing: how many escalation steps have been taken. */
  escalations: z.number().int().min(0),
  /** While not firing: since when the condition has held without a break (forSeconds). */
  holdingSince: epochMs.nullable(),
  /** While not firing: timestamps of the matching points inside the repeat window. */
  hits: z.array(epochMs),
  /** While firing: since when the clear condition has held (clearForSeconds). */
  clearingSince: epochMs.nullable(),
  /** `at` of the last signal emitted: every later signal of the pair has a later `at`. */
  lastSignalAt: epochMs.nullable(),
});
export type RuleState = z.infer<typeof ruleStateSchema>;

/** The state of a pair whose first point (for this rule) has timestamp `ts`. */
export function freshState(ruleVersion: number, ts: number): RuleState {
  return {
    ruleVersion,
    since: ts,
    lastTs: ts - 1,
    lastSeen: {},
    previous: {},
    tickedTo: null,
    active: false,
    severity: null,
    raisedAt: null,
    escalations: 0,
    holdingSince: null,
    hits: [],
    clearingSince: null,
    lastSignalAt: null,
  };
}

/**
 * The state under a new rule version. Windows (sustain, repeat, clear timers) restart,
 * since they were measured against the old condition; what is known about the device
 * (last point, silence, previous values) and whether the pair is firing carry over. So an
 * alert raised by the old version is still cleared — by the new version's clear logic —
 * and `at` stays monotonic, so no signal id repeats.
 */
export function stateForVersion(state: RuleState, ruleVersion: number): RuleState {
  if (state.ruleVersion === ruleVersion) return state;
  return { ...state, ruleVersion, tickedTo: null, holdingSince: null, hits: [], clearingSince: null };
}
