/** Coalesces evaluation requests: one evaluation per rollout at a time, one more queued at most. */
export interface EvaluationQueue {
  /** Asks for an evaluation of the rollout; resolves when one that started after the request has finished. Never rejects. */
  request(rolloutId: string): Promise<void>;
  /** Resolves once no evaluation is running or queued. */
  idle(): Promise<void>;
}

/**
 * Reports for many devices of one rollout arrive in bursts: each asks for an evaluation, and
 * all the requests made while one runs share the single next one. Failures go to `onError`.
 */
export function createEvaluationQueue(evaluate: (rolloutId: string) => Promise<void>, onError: (error: unknown, rolloutId: string) => void): EvaluationQueue {
  const running = new Map<string, Promise<void>>();
  const queued = new Map<string, Promise<void>>();

  const launch = (rolloutId: string): Promise<void> => {
    const run = evaluate(rolloutId)
      .catch((error: unknown) => onError(error, rolloutId))
      .finally(() => {
        if (running.get(rolloutId) === run) running.delete(rolloutId);
      });
    running.set(rolloutId, run);
    return run;
  };

  return {
    request(rolloutId) {
      const current = running.get(rolloutId);
      if (!current) return launch(rolloutId);
      const waiting = queued.get(rolloutId);
      if (waiting) return waiting;
      const next = current.then(() => {
        queued.delete(rolloutId);
        return launch(rolloutId);
      });
      queued.set(rolloutId, next);
      return next;
    },
    async idle() {
      while (running.size > 0 || queued.size > 0) await Promise.allSettled([...running.values(), ...queued.values()]);
    },
  };
}
