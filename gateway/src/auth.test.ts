import { randomUUID } from 'node:crypto';
import {
  apiKeyCacheKey,
  createApiKeySecret,
  createMemoryCache,
  issueUserToken,
  parseApiKey,
  sha256,
  type Cache,
  type Identity,
} from '@ump/core';
import { GraphQLError } from 'graphql';
import { createAuthenticator, type ApiKeyIdentity } from './auth';

const JWT_SECRET = 'gateway-test-jwt-secret-0123456789abcdef';
const TENANT = randomUUID();

/**
 * Stands in for the tenant subgraph's API-key lookup: knows some keys by id and secret hash,
 * answers null for unknown, revoked or wrongly-secreted keys, and records every call.
 */
function fakeKeyStore() {
  const rows = new Map<string, { secretHash: string; tenantId: string; role: ApiKeyIdentity['role']; revoked: boolean }>();
  const calls: string[] = [];
  return {
    calls,
    add(role: ApiKeyIdentity['role'] = 'OPERATOR', tenantId = TENANT) {
      const id = randomUUID();
      const { key, secretHash } = createApiKeySecret(id);
      rows.set(id, { secretHash, tenantId, role, revoked: false });
      return { id, key };
    },
    revoke(id: string) {
      rows.get(id)!.revoked = true;
    },
    async lookupApiKey(key: string): Promise<ApiKeyIdentity | null> {
      calls.push(key);
      const parsed = parseApiKey(key);
      const row = parsed && rows.get(parsed.keyId);
      if (!parsed || !row || row.revoked || row.secretHash !== sha256(parsed.secret)) return null;
      return { apiKeyId: parsed.keyId, tenantId: row.tenantId, role: row.role };
    },
  };
}

async function unauthenticated(promise: Promise<unknown>): Promise<GraphQLError> {
  const error = await promise.then(
    () => {
      throw new Error('expected UNAUTHENTICATED');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GraphQLError);
  expect((error as GraphQLError).extensions.code).toBe('UNAUTHENTICATED');
  return error as GraphQLError;
}

describe('createAuthenticator', () => {
  let cache: Cache;
  let store: ReturnType<typeof fakeKeyStore>;
  let authenticate: ReturnType<typeof createAuthenticator>;

  beforeEach(() => {
    cache = createMemoryCache({ keyPrefix: `test:${randomUUID()}:` });
    store = fakeKeyStore();
    authenticate = createAuthenticator({ jwtSecret: JWT_SECRET, cache, lookupApiKey: (key) => store.lookupApiKey(key) });
  });
  afterEach(() => cache.close());

  describe('without credentials', () => {
    it('is anonymous', async () => {
      await expect(authenticate({})).resolves.toEqual({ kind: 'anonymous' });
      await expect(authenticate({ authorization: '', 'x-api-key': '' })).resolves.toEqual({ kind: 'anonymous' });
      expect(store.calls).toEqual([]);
    });
  });

  describe('user tokens', () => {
    const user = { id: randomUUID(), tenantId: TENANT, role: 'VIEWER' as const };

    it('turns Authorization: Bearer <jwt> into the user identity', async () => {
      const { token } = await issueUserToken(JWT_SECRET, user, 60);
      await expect(authenticate({ authorization: `Bearer ${token}` })).resolves.toEqual<Identity>({
        kind: 'user',
        userId: user.id,
        tenantId: TENANT,
        role: 'VIEWER',
      });
      expect(store.calls).toEqual([]);
    });

    it('accepts the scheme case-insensitively and surrounding whitespace', async () => {
      const { token } = await issueUserToken(JWT_SECRET, user, 60);
      await expect(authenticate({ authorization: `  bearer   ${token} ` })).resolves.toMatchObject({ kind: 'user', userId: user.id });
    });

    it('uses the first value of a repeated header', async () => {
      const { token } = await issueUserToken(JWT_SECRET, user, 60);
      await expect(authenticate({ authorization: [`Bearer ${token}`, 'Bearer junk'] })).resolves.toMatchObject({ kind: 'user' });
    });

    it('refuses a token signed with another secret', async () => {
      const { token } = await issueUserToken('some-other-secret-that-is-long-enough!!', user, 60);
      await unauthenticated(authenticate({ authorization: `Bearer ${token}` }));
    });

    it('refuses an expired token as expired', async () => {
      const { token } = await issueUserToken(JWT_SECRET, user, -60);
      expect((await unauthenticated(authenticate({ authorization: `Bearer ${token}` }))).message).toMatch(/^Token expired/);
    });
  });

  describe('malformed Authorization header', () => {
    it.each(['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer a b', 'Token abc', 'abc'])('refuses %p with UNAUTHENTICATED', async (authorization) => {
      const error = await unauthenticated(authenticate({ authorization }));
      expect(error.message).toMatch(/Authorization must be "Bearer/);
      expect(store.calls).toEqual([]);
    });
  });

  describe('API keys', () => {
    it('turns x-api-key into the API key identity', async () => {
      const { id, key } = store.add('OPERATOR');
      await expect(authenticate({ 'x-api-key': key })).resolves.toEqual<Identity>({
        kind: 'apiKey',
        apiKeyId: id,
        tenantId: TENANT,
        role: 'OPERATOR',
      });
      expect(store.calls).toEqual([key]);
    });

    it('turns Authorization: Bearer ump_… into the API key identity', async () => {
      const { id, key } = store.add('VIEWER');
      await expect(authenticate({ authorization: `Bearer ${key}` })).resolves.toEqual<Identity>({
        kind: 'apiKey',
        apiKeyId: id,
        tenantId: TENANT,
        role: 'VIEWER',
      });
    });

    it('trims whitespace around x-api-key', async () => {
      const { id, key } = store.add();
      await expect(authenticate({ 'x-api-key': ` ${key}\n` })).resolves.toMatchObject({ kind: 'apiKey', apiKeyId: id });
    });

    it('prefers x-api-key over an Authorization header', async () => {
      const { id, key } = store.add();
      const { token } = await issueUserToken(JWT_SECRET, { id: randomUUID(), tenantId: TENANT, role: 'TENANT_ADMIN' }, 60);
      await expect(authenticate({ 'x-api-key': key, authorization: `Bearer ${token}` })).resolves.toMatchObject({ kind: 'apiKey', apiKeyId: id });
    });

    it('serves the second request from the cache: one lookup for two requests, either header', async () => {
      const { id, key } = store.add('OPERATOR');
      const first = await authenticate({ 'x-api-key': key });
      const second = await authenticate({ authorization: `Bearer ${key}` });
      expect(second).toEqual(first);
      expect(store.calls).toHaveLength(1);
      // What is cached is the hash of the secret, never the secret itself.
      const cached = await cache.get(apiKeyCacheKey(id));
      expect(cached).not.toBeNull();
      expect(cached).not.toContain(parseApiKey(key)!.secret);
      expect(JSON.parse(cached!)).toEqual({ secretHash: sha256(parseApiKey(key)!.secret), tenantId: TENANT, role: 'OPERATOR' });
    });

    it('caches per key: another key is looked up on its own', async () => {
      const a = store.add('OPERATOR');
      const b = store.add('VIEWER', randomUUID());
      await authenticate({ 'x-api-key': a.key });
      const identity = await authenticate({ 'x-api-key': b.key });
      expect(identity).toMatchObject({ apiKeyId: b.id, role: 'VIEWER' });
      expect(store.calls).toEqual([a.key, b.key]);
    });

    it('refuses a key with the right id but a wrong secret, even while the id is cached', async () => {
      const { id, key } = store.add('TENANT_ADMIN');
      await authenticate({ 'x-api-key': key }); // cached now
      const forged = createApiKeySecret(id).key; // a fresh secret for the same id
      expect(parseApiKey(forged)?.keyId).toBe(id); // same id, well-formed, different secret
      expect(forged).not.toBe(key);
      await unauthenticated(authenticate({ 'x-api-key': forged }));
      await unauthenticated(authenticate({ authorization: `Bearer ${forged}` }));
      // The genuine key keeps working from the cache.
      await expect(authenticate({ 'x-api-key': key })).resolves.toMatchObject({ apiKeyId: id, role: 'TENANT_ADMIN' });
      expect(store.calls.filter((k) => k === key)).toHaveLength(1);
    });

    it('refuses a key the lookup does not know (null) with UNAUTHENTICATED, and caches nothing', async () => {
      const id = randomUUID();
      const { key } = createApiKeySecret(id);
      const error = await unauthenticated(authenticate({ 'x-api-key': key }));
      expect(error.message).toBe('Invalid or revoked API key');
      expect(await cache.get(apiKeyCacheKey(id))).toBeNull();
      // Not negatively cached either: asked again next time.
      await unauthenticated(authenticate({ 'x-api-key': key }));
      expect(store.calls).toEqual([key, key]);
    });

    it.each(['ump_', 'ump_abc_def', `ump_${'0'.repeat(32)}_short`, 'not-a-key'])(
      'refuses the malformed key %p without a lookup',
      async (key) => {
        await unauthenticated(authenticate({ 'x-api-key': key }));
        expect(store.calls).toEqual([]);
      },
    );

    it('refuses a malformed ump_ bearer credential without a lookup', async () => {
      const error = await unauthenticated(authenticate({ authorization: 'Bearer ump_not_a_key' }));
      expect(error.message).toBe('Invalid API key');
      expect(store.calls).toEqual([]);
    });

    it('consults the lookup again after the cache entry is deleted (revocation)', async () => {
      const { id, key } = store.add();
      await authenticate({ 'x-api-key': key });
      await authenticate({ 'x-api-key': key });
      expect(store.calls).toHaveLength(1);

      store.revoke(id);
      // Still cached: revocation takes effect through the cache deletion.
      await expect(authenticate({ 'x-api-key': key })).resolves.toMatchObject({ apiKeyId: id });
      expect(await cache.del(apiKeyCacheKey(id))).toBe(1);

      await unauthenticated(authenticate({ 'x-api-key': key }));
      expect(store.calls).toHaveLength(2);
    });

    it('revocation seen by another gateway sharing the cache hub', async () => {
      const { createMemoryCacheHub } = await import('@ump/core');
      const hub = createMemoryCacheHub();
      const one = createMemoryCache({ hub });
      const two = createMemoryCache({ hub });
      try {
        const gatewayA = createAuthenticator({ jwtSecret: JWT_SECRET, cache: one, lookupApiKey: (k) => store.lookupApiKey(k) });
        const gatewayB = createAuthenticator({ jwtSecret: JWT_SECRET, cache: two, lookupApiKey: (k) => store.lookupApiKey(k) });
        const { id, key } = store.add();
        await gatewayA({ 'x-api-key': key });
        await gatewayB({ 'x-api-key': key }); // served by the entry gateway A cached
        expect(store.calls).toHaveLength(1);
        store.revoke(id);
        await one.del(apiKeyCacheKey(id)); // the tenant subgraph's revocation, through any instance
        await unauthenticated(gatewayB({ 'x-api-key': key }));
      } finally {
        await one.close();
        await two.close();
        hub.close();
      }
    });

    it('treats a corrupt cache entry as a miss and looks the key up again', async () => {
      const { id, key } = store.add('VIEWER');
      const errors: unknown[] = [];
      const quiet = createMemoryCache({ onError: (e) => errors.push(e) });
      try {
        const auth = createAuthenticator({ jwtSecret: JWT_SECRET, cache: quiet, lookupApiKey: (k) => store.lookupApiKey(k) });
        await quiet.set(apiKeyCacheKey(id), JSON.stringify({ secretHash: sha256(parseApiKey(key)!.secret), role: 'GOD' }));
        await expect(auth({ 'x-api-key': key })).resolves.toMatchObject({ apiKeyId: id, role: 'VIEWER' });
        expect(store.calls).toEqual([key]);
        expect(errors).toHaveLength(1);
      } finally {
        await quiet.close();
      }
    });
  });
});
