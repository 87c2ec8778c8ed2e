import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { GraphQLError } from 'graphql';
import { createIdentitySigner, createIdentityVerifier, IDENTITY_HEADER, issueUserToken, signIdentity, verifyIdentity, verifyUserToken } from './tokens';
import type { Identity } from './identity';

const SECRET = 'a-very-long-jwt-secret-of-at-least-32-chars';
const OTHER_SECRET = 'another-very-long-secret-of-at-least-32-chars';
const INTERNAL = 'the-internal-identity-secret-0123456789abcdef';

const user = { id: '0190b6f0-0000-7000-8000-0000000000aa', tenantId: '0190b6f0-0000-7000-8000-0000000000bb', role: 'OPERATOR' as const };

/** Runs `promise`, expecting a GraphQLError with UNAUTHENTICATED; returns it. */
async function unauthenticated(promise: Promise<unknown>): Promise<GraphQLError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GraphQLError);
  expect((error as GraphQLError).extensions.code).toBe('UNAUTHENTICATED');
  return error as GraphQLError;
}

/** Replaces the JWT payload, keeping header and signature. */
function withPayload(token: string, change: (payload: Record<string, unknown>) => Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  const decoded = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
  return [header, Buffer.from(JSON.stringify(change(decoded))).toString('base64url'), signature].join('.');
}

describe('user tokens', () => {
  it('issues a token that verifies back to the user identity', async () => {
    const { token } = await issueUserToken(SECRET, user, 3600);
    await expect(verifyUserToken(SECRET, token)).resolves.toEqual({
      kind: 'user',
      userId: user.id,
      tenantId: user.tenantId,
      role: 'OPERATOR',
    });
  });

  it('round-trips a platform admin, who has no tenant (tid null)', async () => {
    const admin = { id: '0190b6f0-0000-7000-8000-0000000000cc', tenantId: null, role: 'PLATFORM_ADMIN' as const };
    const { token } = await issueUserToken(SECRET, admin, 60);
    await expect(verifyUserToken(SECRET, token)).resolves.toEqual({
      kind: 'user',
      userId: admin.id,
      tenantId: null,
      role: 'PLATFORM_ADMIN',
    });
  });

  it('is an HS256 JWT with issuer, audience, subject and an expiry ttl seconds ahead', async () => {
    const before = Date.now();
    const { token, expiresAt } = await issueUserToken(SECRET, user, 3600);
    expect(decodeProtectedHeader(token).alg).toBe('HS256');
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: 'ump', aud: 'ump-api', sub: user.id, tid: user.tenantId, role: 'OPERATOR' });
    expect(expiresAt.getTime()).toBeGreaterThanOrEqual(before + 3600_000);
    expect(expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 3600_000);
    expect(claims.exp).toBe(Math.floor(expiresAt.getTime() / 1000));
    expect(claims.iat).toBeLessThanOrEqual(claims.exp! - 3599);
  });

  it('refuses an expired token with UNAUTHENTICATED "Token expired"', async () => {
    const { token } = await issueUserToken(SECRET, user, -120);
    const error = await unauthenticated(verifyUserToken(SECRET, token));
    expect(error.message).toMatch(/^Token expired/);
  });

  it('refuses a token signed with another secret as "Invalid token" (not as expired)', async () => {
    const { token } = await issueUserToken(OTHER_SECRET, user, 3600);
    const error = await unauthenticated(verifyUserToken(SECRET, token));
    expect(error.message).toBe('Invalid token');
  });

  it('refuses a token whose payload was changed after signing (role escalation attempt)', async () => {
    const { token } = await issueUserToken(SECRET, user, 3600);
    const forged = withPayload(token, (p) => ({ ...p, role: 'PLATFORM_ADMIN', tid: null }));
    expect(decodeJwt(forged).role).toBe('PLATFORM_ADMIN'); // the forgery itself is well-formed
    const error = await unauthenticated(verifyUserToken(SECRET, forged));
    expect(error.message).toBe('Invalid token');
  });

  it.each(['', 'garbage', 'a.b.c', 'ump_not_a_jwt'])('refuses the non-token %p', async (token) => {
    await unauthenticated(verifyUserToken(SECRET, token));
  });

  it('refuses a gateway identity token used as a user token (wrong issuer/audience)', async () => {
    const identity: Identity = { kind: 'user', userId: user.id, tenantId: user.tenantId, role: 'TENANT_ADMIN' };
    // Even when both are signed with the same secret.
    const header = await signIdentity(SECRET, identity);
    const error = await unauthenticated(verifyUserToken(SECRET, header));
    expect(error.message).toBe('Invalid token');
  });

  it('refuses a correctly signed token for another audience', async () => {
    const token = await new SignJWT({ tid: user.tenantId, role: user.role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer('ump')
      .setAudience('some-other-api')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));
    await unauthenticated(verifyUserToken(SECRET, token));
  });

  it('refuses a correctly signed token with malformed claims (unknown role, missing sub)', async () => {
    const sign = (claims: Record<string, unknown>, sub?: string) => {
      const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer('ump').setAudience('ump-api').setExpirationTime('1h');
      if (sub) jwt.setSubject(sub);
      return jwt.sign(new TextEncoder().encode(SECRET));
    };
    await unauthenticated(verifyUserToken(SECRET, await sign({ tid: null, role: 'ROOT' }, user.id)));
    await unauthenticated(verifyUserToken(SECRET, await sign({ tid: null, role: 'VIEWER' })));
  });

  it('refuses an unsigned ("alg": "none") token', async () => {
    const { token } = await issueUserToken(SECRET, user, 3600);
    const [, payload] = token.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
    await unauthenticated(verifyUserToken(SECRET, none));
  });
});

describe('signed identity (gateway → subgraph)', () => {
  const identities: [string, Identity][] = [
    ['anonymous', { kind: 'anonymous' }],
    ['user', { kind: 'user', userId: user.id, tenantId: user.tenantId, role: 'VIEWER' }],
    ['platform admin user', { kind: 'user', userId: user.id, tenantId: null, role: 'PLATFORM_ADMIN' }],
    ['apiKey', { kind: 'apiKey', apiKeyId: '0190b6f0-0000-7000-8000-0000000000dd', tenantId: user.tenantId, role: 'OPERATOR' }],
    ['service', { kind: 'service', service: 'gateway' }],
  ];

  it.each(identities)('round-trips a %s identity', async (_name, identity) => {
    const header = await signIdentity(INTERNAL, identity);
    await expect(verifyIdentity(INTERNAL, header)).resolves.toEqual(identity);
  });

  it('is an HS256 JWT from ump-gateway to ump-subgraph, valid for 60 seconds', async () => {
    const header = await signIdentity(INTERNAL, { kind: 'anonymous' });
    expect(decodeProtectedHeader(header).alg).toBe('HS256');
    const claims = decodeJwt(header);
    expect(claims).toMatchObject({ iss: 'ump-gateway', aud: 'ump-subgraph', identity: { kind: 'anonymous' } });
    expect(claims.exp! - claims.iat!).toBe(60);
    expect(IDENTITY_HEADER).toBe('x-ump-identity');
  });

  it.each([undefined, null, ''])('refuses a missing header (%p) with UNAUTHENTICATED', async (header) => {
    const error = await unauthenticated(verifyIdentity(INTERNAL, header));
    expect(error.message).toMatch(/missing signed identity/);
  });

  it('refuses an identity signed with another secret', async () => {
    const header = await signIdentity(OTHER_SECRET, { kind: 'service', service: 'gateway' });
    const error = await unauthenticated(verifyIdentity(INTERNAL, header));
    expect(error.message).toMatch(/invalid signed identity/);
  });

  it('refuses a user token presented as a signed identity (wrong issuer/audience)', async () => {
    const { token } = await issueUserToken(INTERNAL, user, 3600);
    const error = await unauthenticated(verifyIdentity(INTERNAL, token));
    expect(error.message).toMatch(/invalid signed identity/);
  });

  it('refuses an identity whose payload was changed after signing', async () => {
    const header = await signIdentity(INTERNAL, { kind: 'user', userId: user.id, tenantId: user.tenantId, role: 'VIEWER' });
    const forged = withPayload(header, (p) => ({ ...p, identity: { ...(p.identity as object), role: 'TENANT_ADMIN' } }));
    await unauthenticated(verifyIdentity(INTERNAL, forged));
  });

  it.each([
    ['no identity claim', {}],
    ['an unknown kind', { identity: { kind: 'root' } }],
    ['a user without role', { identity: { kind: 'user', userId: 'u', tenantId: null } }],
    ['a user with an unknown role', { identity: { kind: 'user', userId: 'u', tenantId: null, role: 'GOD' } }],
    ['an apiKey without tenant', { identity: { kind: 'apiKey', apiKeyId: 'k', tenantId: null, role: 'VIEWER' } }],
    ['a service without name', { identity: { kind: 'service' } }],
  ])('refuses a correctly signed identity with %s', async (_name, claims) => {
    const header = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('ump-gateway')
      .setAudience('ump-subgraph')
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(new TextEncoder().encode(INTERNAL));
    const error = await unauthenticated(verifyIdentity(INTERNAL, header));
    expect(error.message).toMatch(/invalid signed identity/);
  });

  describe('expiry', () => {
    afterEach(() => jest.useRealTimers());

    it('a captured header stops working after 60 seconds', async () => {
      const start = new Date('2030-01-01T00:00:00Z');
      // Fake only the clock: jose's WebCrypto work must still run.
      jest.useFakeTimers({
        now: start,
        doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask'],
      });
      const header = await signIdentity(INTERNAL, { kind: 'anonymous' });
      jest.setSystemTime(start.getTime() + 50_000);
      await expect(verifyIdentity(INTERNAL, header)).resolves.toEqual({ kind: 'anonymous' });
      jest.setSystemTime(start.getTime() + 61_000);
      await unauthenticated(verifyIdentity(INTERNAL, header));
    });
  });

  describe('cached signer and verifier', () => {
    const start = new Date('2030-01-01T00:00:00Z');
    const at = (ms: number) => jest.setSystemTime(start.getTime() + ms);
    beforeEach(() =>
      jest.useFakeTimers({
        now: start,
        doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask'],
      }),
    );
    afterEach(() => jest.useRealTimers());
    const viewer: Identity = { kind: 'user', userId: user.id, tenantId: user.tenantId, role: 'VIEWER' };

    it('reuses a signature for half its life, then signs anew', async () => {
      const sign = createIdentitySigner(INTERNAL);
      const first = await sign(viewer);
      at(29_000);
      expect(await sign(viewer)).toBe(first);
      expect(await sign({ ...viewer, role: 'OPERATOR' })).not.toBe(first);
      at(31_000);
      const renewed = await sign(viewer);
      expect(renewed).not.toBe(first);
      expect(decodeJwt(renewed).exp).toBe(Math.floor(start.getTime() / 1000) + 31 + 60);
    });

    it('trusts a verified header until the expiry it was signed with, and nothing else', async () => {
      const verify = createIdentityVerifier(INTERNAL);
      const header = await signIdentity(INTERNAL, viewer);
      const identity = await verify(header);
      expect(identity).toEqual(viewer);
      expect(Object.isFrozen(identity)).toBe(true);
      at(59_000);
      expect(await verify(header)).toBe(identity);
      // Same payload, another signature: not the header that was verified.
      await unauthenticated(verify(withPayload(await signIdentity(OTHER_SECRET, viewer), (p) => p)));
      await unauthenticated(verify(withPayload(header, (p) => ({ ...p, identity: { ...viewer, role: 'OPERATOR' } }))));
      await unauthenticated(verify(undefined));
      at(61_000);
      await unauthenticated(verify(header));
    });
  });
});
