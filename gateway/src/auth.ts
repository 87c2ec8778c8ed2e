import {
  anonymous,
  apiKeyCacheKey,
  parseApiKey,
  roles,
  safeEqual,
  sha256,
  unauthenticated,
  verifyUserToken,
  type Cache,
  type Identity,
} from '@ump/core';
import { z } from 'zod';

/** What the tenant subgraph answers for a valid key. */
export interface ApiKeyIdentity {
  apiKeyId: string;
  tenantId: string;
  role: (typeof roles)[number];
}

const cachedKey = z.object({ secretHash: z.string(), tenantId: z.string(), role: z.enum(roles) });

// Long enough to spare the tenant subgraph a lookup per request; revocation deletes the
// entry, so this bounds staleness only when the cache itself is unreachable.
const API_KEY_CACHE_MS = 60_000;

export interface Authenticator {
  (headers: Record<string, string | string[] | undefined>): Promise<Identity>;
}

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * Establishes the caller from `Authorization: Bearer <jwt | api key>` or `x-api-key`.
 * No credentials: anonymous (only `login` accepts that). Bad credentials: UNAUTHENTICATED.
 * API keys are looked up through `lookupApiKey` (the tenant subgraph) and cached by key id;
 * the cached entry holds only the secret's hash, which is checked on every request.
 */
export function createAuthenticator(opts: {
  jwtSecret: string;
  cache: Cache;
  lookupApiKey: (key: string) => Promise<ApiKeyIdentity | null>;
}): Authenticator {
  async function fromApiKey(key: string): Promise<Identity> {
    const parsed = parseApiKey(key);
    if (!parsed) throw unauthenticated('Invalid API key');
    const cacheKey = apiKeyCacheKey(parsed.keyId);
    const hash = sha256(parsed.secret);
    const cached = await opts.cache.getJson(cacheKey, cachedKey);
    if (cached && safeEqual(cached.secretHash, hash)) {
      return { kind: 'apiKey', apiKeyId: parsed.keyId, tenantId: cached.tenantId, role: cached.role };
    }
    const found = await opts.lookupApiKey(key);
    if (!found) throw unauthenticated('Invalid or revoked API key');
    await opts.cache.setJson(cacheKey, { secretHash: hash, tenantId: found.tenantId, role: found.role }, { ttlMs: API_KEY_CACHE_MS });
    return { kind: 'apiKey', ...found };
  }

  return async (headers) => {
    const apiKey = first(headers['x-api-key']);
    if (apiKey) return fromApiKey(apiKey.trim());
    const authorization = first(headers.authorization);
    if (!authorization) return anonymous;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw unauthenticated('Authorization must be "Bearer <token or API key>"');
    const credential = match[1]!;
    return credential.startsWith('ump_') ? fromApiKey(credential) : verifyUserToken(opts.jwtSecret, credential);
  };
}
