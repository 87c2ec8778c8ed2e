import { forbidden } from '../errors';

/** Roles from most to least powerful; each includes the rights of those after it. */
export const roles = ['PLATFORM_ADMIN', 'TENANT_ADMIN', 'OPERATOR', 'VIEWER'] as const;
export type Role = (typeof roles)[number];

const rank = (role: Role) => roles.length - roles.indexOf(role);

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (roles as readonly string[]).includes(value);

/** Whether `role` includes the rights of `required`. */
export const roleAtLeast = (role: Role, required: Role) => rank(role) >= rank(required);

/** Throws FORBIDDEN unless `role` includes `required`. */
export function assertRole(role: Role, required: Role, action = 'do this'): void {
  if (!roleAtLeast(role, required)) throw forbidden(`Role ${role} may not ${action}; ${required} or higher is required`);
}

/** A caller may hand out only roles at or below its own, and never PLATFORM_ADMIN inside a tenant. */
export function assertCanGrant(granter: Role, granted: Role): void {
  if (granted === 'PLATFORM_ADMIN') throw forbidden('PLATFORM_ADMIN cannot be granted inside a tenant');
  if (!roleAtLeast(granter, granted)) throw forbidden(`Role ${granter} may not grant ${granted}`);
}
