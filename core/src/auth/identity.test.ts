import { GraphQLError } from 'graphql';
import { anonymous, identitySchema, requireCaller, requireTenant, type Identity } from './identity';
import type { Role } from './roles';

const TENANT = '0190b6f0-0000-7000-8000-0000000000aa';
const userOf = (role: Role, tenantId: string | null = TENANT): Identity => ({ kind: 'user', userId: 'u1', tenantId, role });
const keyOf = (role: Role): Identity => ({ kind: 'apiKey', apiKeyId: 'k1', tenantId: TENANT, role });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    return (error as GraphQLError).extensions.code as string;
  }
  throw new Error('expected a throw');
}

describe('identitySchema', () => {
  it('accepts each identity kind', () => {
    for (const identity of [anonymous, userOf('VIEWER'), userOf('PLATFORM_ADMIN', null), keyOf('OPERATOR'), { kind: 'service', service: 'gateway' }]) {
      expect(identitySchema.parse(identity)).toEqual(identity);
    }
  });

  it('refuses incomplete or unknown identities', () => {
    expect(identitySchema.safeParse({ kind: 'user', userId: 'u', tenantId: TENANT }).success).toBe(false);
    expect(identitySchema.safeParse({ kind: 'apiKey', apiKeyId: 'k', tenantId: null, role: 'VIEWER' }).success).toBe(false);
    expect(identitySchema.safeParse({ kind: 'admin' }).success).toBe(false);
  });
});

describe('requireCaller', () => {
  it('returns a user or an API key unchanged', () => {
    const user = userOf('VIEWER');
    const key = keyOf('OPERATOR');
    expect(requireCaller(user)).toBe(user);
    expect(requireCaller(key)).toBe(key);
  });

  it.each<[string, Identity]>([
    ['anonymous', anonymous],
    ['service', { kind: 'service', service: 'gateway' }],
  ])('refuses %s with UNAUTHENTICATED', (_name, identity) => {
    expect(codeOf(() => requireCaller(identity))).toBe('UNAUTHENTICATED');
  });
});

describe('requireTenant', () => {
  it('returns the tenant and the caller for a user of a tenant (default minimum VIEWER)', () => {
    const user = userOf('VIEWER');
    expect(requireTenant(user)).toEqual({ tenantId: TENANT, caller: user });
  });

  it('returns the tenant for an API key with enough role', () => {
    const key = keyOf('OPERATOR');
    expect(requireTenant(key, 'OPERATOR')).toEqual({ tenantId: TENANT, caller: key });
  });

  it('refuses anonymous with UNAUTHENTICATED', () => {
    expect(codeOf(() => requireTenant(anonymous))).toBe('UNAUTHENTICATED');
  });

  it('refuses the gateway service identity with UNAUTHENTICATED', () => {
    expect(codeOf(() => requireTenant({ kind: 'service', service: 'gateway' }))).toBe('UNAUTHENTICATED');
  });

  it('refuses a platform admin (no tenant) with FORBIDDEN, even though its role is highest', () => {
    let error: GraphQLError | undefined;
    try {
      requireTenant(userOf('PLATFORM_ADMIN', null), 'VIEWER');
    } catch (e) {
      error = e as GraphQLError;
    }
    expect(error?.extensions.code).toBe('FORBIDDEN');
    expect(error?.message).toMatch(/inside a tenant/);
  });

  it.each<[Role, Role]>([
    ['VIEWER', 'OPERATOR'],
    ['VIEWER', 'TENANT_ADMIN'],
    ['OPERATOR', 'TENANT_ADMIN'],
  ])('refuses a %s user where %s is required with FORBIDDEN naming the action', (role, minimum) => {
    let error: GraphQLError | undefined;
    try {
      requireTenant(userOf(role), minimum, 'delete devices');
    } catch (e) {
      error = e as GraphQLError;
    }
    expect(error?.extensions.code).toBe('FORBIDDEN');
    expect(error?.message).toBe(`Role ${role} may not delete devices; ${minimum} or higher is required`);
  });

  it('refuses an API key whose role is too low with FORBIDDEN', () => {
    expect(codeOf(() => requireTenant(keyOf('VIEWER'), 'OPERATOR'))).toBe('FORBIDDEN');
  });

  it('lets a higher role through a lower minimum', () => {
    expect(requireTenant(userOf('TENANT_ADMIN'), 'OPERATOR').tenantId).toBe(TENANT);
  });
});
