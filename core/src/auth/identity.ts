import { z } from 'zod';
import { forbidden, unauthenticated } from '../errors';
import { assertRole, roles, type Role } from './roles';

const role = z.enum(roles);

/** Who is calling, as the gateway established it. */
export const identitySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('anonymous') }),
  z.object({ kind: z.literal('user'), userId: z.string(), tenantId: z.string().nullable(), role }),
  z.object({ kind: z.literal('apiKey'), apiKeyId: z.string(), tenantId: z.string(), role }),
  // The gateway itself, e.g. when it resolves an API key.
  z.object({ kind: z.literal('service'), service: z.string() }),
]);
export type Identity = z.infer<typeof identitySchema>;
export type Caller = Extract<Identity, { kind: 'user' | 'apiKey' }>;

export const anonymous: Identity = { kind: 'anonymous' };

/** Throws UNAUTHENTICATED unless a user or an API key is calling; returns it narrowed. */
export function requireCaller(identity: Identity): Caller {
  if (identity.kind === 'user' || identity.kind === 'apiKey') return identity;
  throw unauthenticated();
}

/** The caller's tenant and role, checked against `minimum`. Platform admins have no tenant: FORBIDDEN. */
export function requireTenant(identity: Identity, minimum: Role = 'VIEWER', action?: string): { tenantId: string; caller: Caller } {
  const caller = requireCaller(identity);
  assertRole(caller.role, minimum, action);
  if (!caller.tenantId) throw forbidden('This operation works inside a tenant; sign in as a user of that tenant');
  return { tenantId: caller.tenantId, caller };
}
