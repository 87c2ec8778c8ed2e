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
  if (!header) throw unauthenticated('Requests must come through the gateway (missing signed identity)');
  try {
    const { payload } = await jwtVerify(header, key(secret), {
      issuer: 'ump-gateway',
      audience: 'ump-subgraph',
      algorithms: ['HS256'],
    });
    return identitySchema.parse(payload.identity);
  } catch {
    throw unauthenticated('Requests must come through the gateway (invalid signed identity)');
  }
}
