import { setTimeout as delay } from 'node:timers/promises';

/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping the order of the
 * results. The first rejection stops new calls from starting and is rethrown once the calls
 * already running have settled; an aborted `signal` does the same with its reason.
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      if (signal?.aborted) {
        failure = { error: signal.reason };
        break;
      }
      const index = next++;
      try {
        results[index] = await fn(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}

/** How `withRetry` backs off. */
export interface RetryOptions {
  /** Tries in total, the first included (default 5). */
  attempts?: number;
  /** Wait before the second try; doubles each time (default 200 ms). */
  baseMs?: number;
  /** Longest wait (default 5,000 ms). */
  maxMs?: number;
  /** Whether an error is worth another try (default: every error). */
  retryable?: (error: unknown) => boolean;
  signal?: AbortSignal;
}

/**
 * Calls `fn` until it resolves, waiting with exponential back-off and full jitter between
 * tries, so thousands of clients retrying after one outage do not come back in lockstep.
 * Rethrows the last error once the attempts are spent or the error is not retryable;
 * rejects with the signal's reason when aborted while waiting.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { attempts = 5, baseMs = 200, maxMs = 5_000, retryable = () => true, signal } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || !retryable(error) || signal?.aborted) throw error;
      const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
      await delay(Math.random() * ceiling, undefined, { signal });
    }
  }
}
