/**
 * Flapping: an alert that changes state (raised, re-opened, cleared) more than `threshold`
 * times within `windowMs` flaps. While it flaps its raise / clear notifications (events on
 * alert.events.v1 and ticket calls) are held; history is still written. It stops flapping at
 * the first signal that follows a whole quiet window (no state change for `windowMs`): there
 * is no timer, so an alert that goes silent stays marked until its next signal.
 */
export interface FlapPolicy {
  /** More state changes than this within the window flap; default 5. */
  threshold: number;
  /** Default 10 minutes. */
  windowMs: number;
}

export const DEFAULT_FLAP_POLICY: FlapPolicy = { threshold: 5, windowMs: 10 * 60_000 };

// Never more are needed to decide, whatever the threshold (bounded by the history kept).
const MAX_KEPT = 100;

/** Reads the stored `recentChanges` JSON: epoch ms, anything else dropped. */
export function parseChanges(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((t): t is number => typeof t === 'number' && Number.isFinite(t)) : [];
}

/**
 * The alert's recent state changes after a signal at `at` (`isChange`: whether the signal
 * changed its state), and whether it flaps now.
 */
export function trackFlapping(
  changes: number[],
  at: number,
  isChange: boolean,
  wasFlapping: boolean,
  policy: FlapPolicy,
): { changes: number[]; flapping: boolean } {
  const prior = changes.filter((t) => t > at - policy.windowMs && t <= at);
  const kept = (isChange ? [...prior, at] : prior).slice(-MAX_KEPT);
  const flapping = kept.length > policy.threshold || (wasFlapping && prior.length > 0);
  return { changes: kept, flapping };
}
