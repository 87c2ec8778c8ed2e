import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import { z } from 'zod';
import { unauthenticated } from '../errors';
import { identitySchema, type Identity } from './identity';
import { roles } from './roles';

const encoder = new TextEncoder();
const key = (secret: string) => encoder.encode(secret);

const userClaims = z.object({ sub: z.string(), tid: z.string().nullable(), role: z.enum(roles) });

/** Issues a user's HS256 JWT. */
export async function issueUserToken(
  secret: string,
  user: { id: string; tenantId: string | null; role: (typeof roles)[number] },
  ttlSeconds: number,
): Promise<{ token: string; expiresAt: Date }> {
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  const token = await new SignJWT({ tid: user.tenantId, role: user.role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user.id)
    .setIssuer('ump')
    .setAudience('ump-api')
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(key(secret));
  return { token, expiresAt };
}

/** Verifies a user JWT; throws UNAUTHENTICATED (expired, bad signature, malformed claims). */
export async function verifyUserToken(secret: string, token: string): Promise<Identity> {
  try {
    const { payload } = await jwtVerify(token, key(secret), { issuer: 'ump', audience: 'ump-api', algorithms: ['HS256'] });
    const claims = userClaims.parse(payload);
    return { kind: 'user', userId: claims.sub, tenantId: claims.tid, role: claims.role };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw unauthenticated('Token expired: sign in again');
    throw unauthenticated('Invalid token');
  }
}

/** Header carrying the gateway-signed identity to subgraphs. */
export const IDENTITY_HEADER = 'x-ump-identity';

// Short-lived: a captured header is useless soon after, and clocks inside one deployment agree.
const IDENTITY_TTL_SECONDS = 60;

/** Signs an identity for one subgraph request. */
export function signIdentity(secret: string, identity: Identity): Promise<string> {
  return new SignJWT({ identity })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('ump-gateway')
    .setAudience('ump-subgraph')
    .setIssuedAt()
    .setExpirationTime(`${IDENTITY_TTL_SECONDS}s`)
    .sign(key(secret));
}

/** Verifies the gateway's signed identity; throws UNAUTHENTICATED when absent or invalid. */
export async function verifyIdentity(secret: string, header: string | undefined | null): Promise<Identity> {
  return (await verifySignedIdentity(secret, header)).identity;
}

/** {@link verifyIdentity}, with when the signature expires (epoch ms). */
async function verifySignedIdentity(secret: string, header: string | undefined | null): Promise<{ identity: Identity; expiresAt: number }> {
  if (!header) throw unauthenticated('Requests must come through the gateway (missing signed identity)');
  try {
    const { payload } = await jwtVerify(header, key(secret), {
      issuer: 'ump-gateway',
      audience: 'ump-subgraph',
      algorithms: ['HS256'],
      requiredClaims: ['exp'],
    });
    return { identity: identitySchema.parse(payload.identity), expiresAt: payload.exp! * 1000 };
  } catch {
    throw unauthenticated('Requests must come through the gateway (invalid signed identity)');
  }
}

// Bounds the caches below; when full they start over (a miss only costs one signature).
const CACHED_IDENTITIES = 10_000;

/**
 * {@link signIdentity} for the gateway's hot path: a signature is reused while it has more
 * than half its life left, so the ~6 signatures and verifications an entity fetch needs
 * (one per subgraph call) are not redone per request. WebCrypto runs them on libuv's small
 * thread pool, where they queue behind file and database work.
 */
export function createIdentitySigner(secret: string, now: () => number = Date.now): (identity: Identity) => Promise<string> {
  const signed = new Map<string, { header: string; reuseUntil: number }>();
  return async (identity) => {
    const id = JSON.stringify(identity);
    const hit = signed.get(id);
    if (hit && hit.reuseUntil > now()) return hit.header;
    const header = await signIdentity(secret, identity);
    if (signed.size >= CACHED_IDENTITIES) signed.clear();
    signed.set(id, { header, reuseUntil: now() + (IDENTITY_TTL_SECONDS * 1000) / 2 });
    return header;
  };
}

/**
 * {@link verifyIdentity} for subgraphs: a header verified once is trusted, byte for byte,
 * until the expiry it was signed with, exactly as a fresh verification would.
 */
export function createIdentityVerifier(secret: string, now: () => number = Date.now): (header: string | undefined | null) => Promise<Identity> {
  const verified = new Map<string, { identity: Identity; expiresAt: number }>();
  return async (header) => {
    const hit = header ? verified.get(header) : undefined;
    if (hit && hit.expiresAt > now()) return hit.identity;
    const fresh = await verifySignedIdentity(secret, header);
    if (verified.size >= CACHED_IDENTITIES) verified.clear();
    const identity = Object.freeze(fresh.identity);
    verified.set(header!, { identity, expiresAt: fresh.expiresAt });
    return identity;
  };
}
