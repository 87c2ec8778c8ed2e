/**
 * Polls `check` every `intervalMs` (default 10) until it returns a truthy value, which it
 * resolves with. Rejects with the last thrown error (or a timeout error naming `what`)
 * after `timeoutMs` (default 5000). Tests poll with a deadline instead of sleeping a fixed
 * time so they are fast when the system is fast and still pass on a slow CI machine.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 5_000, intervalMs = 10, what = 'condition' }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw lastError ?? new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    }
    await sleep(intervalMs);
  }
}

/** Resolves after `ms`; only for short settle windows when asserting that nothing happens. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
