import type { Cache, Logger } from '@ump/core';
import type { DeviceCredential } from './credentials';

/** Outcome of {@link RateLimiter.admit}. */
export type Admission = { ok: true } | { ok: false; scope: 'device' | 'tenant'; retryAfterSeconds: number };

/** Per-device and per-tenant message limits; see {@link createRateLimiter}. */
export interface RateLimiter {
  admit(device: Pick<DeviceCredential, 'deviceId' | 'tenantId'>): Promise<Admission>;
}

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  cache: Cache;
  logger: Logger;
  devicePerSecond: number;
  tenantPerSecond: number;
  /** Clock; default Date.now. */
  now?: () => number;
}

const WINDOW_MS = 1_000;

/**
 * Fixed one-second windows counted in the cache (`incrWindow`), so with Redis the limits
 * hold across every intake instance. A message is one request or one publish, however many
 * points it carries (maxBatch bounds those). The tenant window is charged only for messages
 * the device window admitted, so one runaway device cannot use up its tenant's budget.
 *
 * Fails open: when the cache is unreachable the message is admitted and a warning logged,
 * because refusing all telemetry is worse than briefly not limiting it.
 */
export function createRateLimiter({ cache, logger, devicePerSecond, tenantPerSecond, now = Date.now }: RateLimiterOptions): RateLimiter {
  const count = async (key: string): Promise<number> => {
    try {
      return await cache.incrWindow(key, WINDOW_MS);
    } catch (error) {
      logger.warn({ err: error }, 'rate limit counter unavailable; admitting');
      return 0;
    }
  };
  return {
    async admit({ deviceId, tenantId }) {
      // The second is part of the key so every window starts on a second boundary and
      // Retry-After: 1 is always enough.
      const second = Math.floor(now() / WINDOW_MS);
      if ((await count(`intake:rate:device:${deviceId}:${second}`)) > devicePerSecond) {
        return { ok: false, scope: 'device', retryAfterSeconds: 1 };
      }
      if ((await count(`intake:rate:tenant:${tenantId}:${second}`)) > tenantPerSecond) {
        return { ok: false, scope: 'tenant', retryAfterSeconds: 1 };
      }
      return { ok: true };
    },
  };
}
