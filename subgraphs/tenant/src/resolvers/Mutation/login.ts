import { dummyPasswordHash, issueUserToken, rateLimited, unauthenticated, validate, verifyPassword, fields } from '@ump/core';
import { z } from 'zod';
import type { TenantContext } from '../../context';
import { userStore } from '../../data/users';

const LOGIN_ATTEMPTS_PER_MINUTE = 10;

const loginArgs = z.object({ email: fields.email, password: z.string().min(1, 'must not be empty').max(200) });

/** Email + password → JWT. Wrong email and wrong password fail alike, in the same time. */
export async function login(_: unknown, args: { email: string; password: string }, ctx: TenantContext) {
  const { email, password } = validate(loginArgs, args, 'login');
  const attempts = await ctx.deps.cache.incrWindow(`login-attempts:${email}`, 60_000);
  if (attempts > LOGIN_ATTEMPTS_PER_MINUTE) throw rateLimited('Too many sign-in attempts for this email; wait a minute');
  const user = await userStore.credentialsByEmail(ctx.crossTenant, email);
  const ok = await verifyPassword(password, user?.passwordHash ?? dummyPasswordHash);
  if (!user || !ok) throw unauthenticated('Invalid email or password');
  const { passwordHash: _omit, ...publicUser } = user;
  const { token, expiresAt } = await issueUserToken(ctx.deps.jwtSecret, user, ctx.deps.jwtTtlSeconds);
  return { token, expiresAt, user: publicUser };
}
