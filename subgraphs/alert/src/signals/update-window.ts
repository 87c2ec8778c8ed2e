import { ruleSpecSchema, updateWindowKey, type Cache, type Condition, type Logger } from '@ump/core';

/** Whether a condition is, or contains (under `all` / `any`), a NO_DATA leaf: it watches for silence. */
export function watchesSilence(condition: Condition): boolean {
  if ('all' in condition) return condition.all.some(watchesSilence);
  if ('any' in condition) return condition.any.some(watchesSilence);
  return condition.op === 'NO_DATA';
}

/** {@link watchesSilence} of a rule's stored spec; false for a spec that fails the schema. */
export function specWatchesSilence(spec: unknown): boolean {
  const parsed = ruleSpecSchema.safeParse(spec);
  return parsed.success && watchesSilence(parsed.data.condition);
}

/**
 * Whether a device is installing an OTA update right now. Never rejects: a cache failure
 * answers false (see {@link cacheUpdateWindow}).
 */
export type UpdateWindowCheck = (deviceId: string) => Promise<boolean>;

/**
 * The update window as the OTA engine keeps it: `updateWindowKey(deviceId)` is set (with a
 * TTL) while the device installs an update. The cache answers for now, not for the signal's
 * time, so a signal applied late is judged by the window at the time it is applied.
 *
 * A cache failure is reported to `onError` and answers false: an unreachable cache then
 * lets a silence alert notify rather than hiding a real outage (and rather than blocking
 * every signal behind a retried batch).
 */
export function cacheUpdateWindow(cache: Cache, onError: (error: unknown, deviceId: string) => void): UpdateWindowCheck {
  return async (deviceId) => {
    try {
      return (await cache.get(updateWindowKey(deviceId))) !== null;
    } catch (error) {
      onError(error, deviceId);
      return false;
    }
  };
}

/** A {@link cacheUpdateWindow} whose failures are logged and counted. */
export function loggedUpdateWindow(cache: Cache, log: Logger, failed: { inc(): void }): UpdateWindowCheck {
  return cacheUpdateWindow(cache, (error, deviceId) => {
    failed.inc();
    log.warn({ err: error, deviceId }, 'could not read the OTA update window: the alert is not held');
  });
}
