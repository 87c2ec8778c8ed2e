import { z } from 'zod';
import { sha256, type Cache, type Logger } from '@ump/core';
import type { PrismaClient } from '@ump/db';
// Deep imports until core/src/index.ts exports these.
import { deviceCredentialCacheKey } from '@ump/core';
import { DEFAULT_INACTIVITY_TIMEOUT_SECONDS } from '@ump/core';

/** What a valid access token stands for: everything the intake needs per message. */
export interface DeviceCredential {
  deviceId: string;
  tenantId: string;
  /** From the device's profile; 300 s without one. */
  inactivityTimeoutSeconds: number;
  /** From the tenant's plan via planRetentionDays; absent for a plan not listed there. */
  retentionDays?: number;
}

// The cached form: `device: null` remembers an unknown token. Versioned by shape, so an
// entry written by another deploy that fails it is simply treated as a miss (getJson).
const cachedCredential = z.object({
  device: z
    .object({
      deviceId: z.string(),
      tenantId: z.string(),
      inactivityTimeoutSeconds: z.number().int().positive(),
      retentionDays: z.number().int().positive().optional(),
    })
    .nullable(),
});

/** Negative entries live at most this long: a typo'd token retried in a loop costs one query per 5 s. */
const NEGATIVE_TTL_MS = 5_000;
// Tokens are 27 characters (createDeviceToken); anything far off that is refused unseen.
const TOKEN_SHAPE = /^[\x21-\x7e]{8,256}$/;

/** Options of {@link createCredentialResolver}. */
export interface CredentialResolverOptions {
  prisma: PrismaClient;
  cache: Cache;
  logger: Logger;
  /** TTL of a positive entry (IntakeConfig.credentialCacheMs); negative ones get min(this, 5 s). */
  ttlMs: number;
  planRetentionDays: Record<string, number>;
}

/** Resolves device access tokens; see {@link createCredentialResolver}. */
export interface CredentialResolver {
  /** The device the token belongs to, or null when it is unknown, revoked or malformed. */
  resolve(token: string): Promise<DeviceCredential | null>;
}

/**
 * Resolves access tokens by their SHA-256 through the cache (key deviceCredentialCacheKey),
 * falling back to two read-only queries (credential + profile, tenant plan) on a miss.
 * Unknown tokens are cached too, briefly, so a device retrying a revoked token does not
 * reach Postgres per message; concurrent misses for one token share one lookup.
 *
 * Failure behaviour: a cache error is logged and the database answers instead (the intake
 * stays up without Redis, at the cost of a query per message); a database error rejects.
 * Revocation: the device subgraph deletes the entry; a lookup that read the old row just
 * before can still re-cache it, so in the worst case an old token lives one TTL longer.
 */
export function createCredentialResolver(options: CredentialResolverOptions): CredentialResolver {
  const { prisma, cache, logger, ttlMs, planRetentionDays } = options;
  const negativeTtlMs = Math.min(ttlMs, NEGATIVE_TTL_MS);
  const inFlight = new Map<string, Promise<DeviceCredential | null>>();

  const lookup = async (tokenHash: string, key: string): Promise<DeviceCredential | null> => {
    const row = await prisma.deviceCredential.findUnique({
      where: { tokenHash },
      select: { deviceId: true, tenantId: true, device: { select: { profile: { select: { inactivityTimeoutSeconds: true } } } } },
    });
    // The tenant table belongs to another domain (no relation to join); a credential whose
    // tenant is gone is refused like an unknown token.
    const tenant = row ? await prisma.tenant.findUnique({ where: { id: row.tenantId }, select: { plan: true } }) : null;
    const retentionDays = tenant ? planRetentionDays[tenant.plan] : undefined;
    const device: DeviceCredential | null =
      row && tenant
        ? {
            deviceId: row.deviceId,
            tenantId: row.tenantId,
            inactivityTimeoutSeconds: row.device.profile?.inactivityTimeoutSeconds ?? DEFAULT_INACTIVITY_TIMEOUT_SECONDS,
            ...(retentionDays === undefined ? {} : { retentionDays }),
          }
        : null;
    await cache
      .setJson(key, { device }, { ttlMs: device ? ttlMs : negativeTtlMs })
      .catch((error: unknown) => logger.warn({ err: error }, 'could not cache a device credential'));
    return device;
  };

  return {
    async resolve(token) {
      if (!TOKEN_SHAPE.test(token)) return null;
      const tokenHash = sha256(token);
      const key = deviceCredentialCacheKey(tokenHash);
      const cached = await cache.getJson(key, cachedCredential).catch((error: unknown) => {
        logger.warn({ err: error }, 'credential cache unavailable; asking the database');
        return null;
      });
      if (cached) return cached.device;
      let pending = inFlight.get(tokenHash);
      if (!pending) {
        pending = lookup(tokenHash, key).finally(() => inFlight.delete(tokenHash));
        inFlight.set(tokenHash, pending);
      }
      return pending;
    },
  };
}
