import type { Cache } from '@ump/core';
import { ruleStateSchema, type RuleState } from './engine';

/** The cache key of one (rule, device) state. */
export function stateKey(ruleId: string, deviceId: string): string {
  return `rules:state:${ruleId}:${deviceId}`;
}

// A firing pair keeps its state until it clears (else the clear could never be emitted);
// an idle one expires after the longest silence a NO_DATA leaf may wait for, plus a day.
const IDLE_TTL_MS = 31 * 24 * 3600 * 1000;

/** Per-pair rule states in the cache port (Redis in production, memory when embedded). */
export interface StateStore {
  /** The stored states of these pairs (absent: never seen, expired or unreadable). */
  load(pairs: ReadonlyArray<{ ruleId: string; deviceId: string }>): Promise<Map<string, RuleState>>;
  /** Writes these states; rejects when the cache does (the batch is then redelivered). */
  save(entries: ReadonlyArray<{ ruleId: string; deviceId: string; state: RuleState }>): Promise<void>;
}

/**
 * Reads and writes states under `rules:state:<ruleId>:<deviceId>`, keyed in the returned map
 * the same way. A stored value that fails the state schema (another deploy's shape) is
 * dropped by the cache and read as absent, so the pair starts fresh rather than crashing.
 */
export function createStateStore(cache: Cache): StateStore {
  return {
    async load(pairs) {
      const keys = [...new Set(pairs.map((p) => stateKey(p.ruleId, p.deviceId)))];
      const values = await Promise.all(keys.map((key) => cache.getJson(key, ruleStateSchema)));
      const states = new Map<string, RuleState>();
      keys.forEach((key, i) => {
        const state = values[i];
        if (state) states.set(key, state);
      });
      return states;
    },
    async save(entries) {
      await Promise.all(
        entries.map(({ ruleId, deviceId, state }) =>
          cache.setJson(stateKey(ruleId, deviceId), state, state.active ? undefined : { ttlMs: IDLE_TTL_MS }),
        ),
      );
    },
  };
}
