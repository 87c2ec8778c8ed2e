import { GraphQLError } from 'graphql';
import { assertCanGrant, assertRole, isRole, roleAtLeast, roles, type Role } from './roles';

/** Calls `fn`, expecting a FORBIDDEN GraphQLError; returns it. */
function forbidden(fn: () => void): GraphQLError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(GraphQLError);
  expect((caught as GraphQLError).extensions.code).toBe('FORBIDDEN');
  return caught as GraphQLError;
}

// Expected matrix, written out rather than derived from the order of `roles`.
const atLeast: Record<Role, Role[]> = {
  PLATFORM_ADMIN: ['PLATFORM_ADMIN', 'TENANT_ADMIN', 'OPERATOR', 'VIEWER'],
  TENANT_ADMIN: ['TENANT_ADMIN', 'OPERATOR', 'VIEWER'],
  OPERATOR: ['OPERATOR', 'VIEWER'],
  VIEWER: ['VIEWER'],
};
const pairs = roles.flatMap((role) => roles.map((required) => [role, required, atLeast[role].includes(required)] as const));

describe('roles', () => {
  it('are ordered from most to least powerful', () => {
    expect(roles).toEqual(['PLATFORM_ADMIN', 'TENANT_ADMIN', 'OPERATOR', 'VIEWER']);
  });

  it('isRole accepts exactly the four roles', () => {
    for (const role of roles) expect(isRole(role)).toBe(true);
    for (const value of ['viewer', 'ADMIN', '', null, undefined, 3, {}]) expect(isRole(value)).toBe(false);
  });
});

describe('roleAtLeast', () => {
  it.each(pairs)('%s at least %s: %s', (role, required, expected) => {
    expect(roleAtLeast(role, required)).toBe(expected);
  });
});

describe('assertRole', () => {
  it.each(pairs.filter(([, , ok]) => ok))('%s may do what needs %s', (role, required) => {
    expect(() => assertRole(role, required)).not.toThrow();
  });

  it.each(pairs.filter(([, , ok]) => !ok))('%s may not do what needs %s: FORBIDDEN', (role, required) => {
    const error = forbidden(() => assertRole(role, required, 'create devices'));
    expect(error.message).toBe(`Role ${role} may not create devices; ${required} or higher is required`);
  });

  it('has a default action wording', () => {
    expect(forbidden(() => assertRole('VIEWER', 'OPERATOR')).message).toMatch(/^Role VIEWER may not do this;/);
  });
});

describe('assertCanGrant', () => {
  it.each(roles)('never lets anyone (here %s) grant PLATFORM_ADMIN', (granter) => {
    const error = forbidden(() => assertCanGrant(granter, 'PLATFORM_ADMIN'));
    expect(error.message).toMatch(/PLATFORM_ADMIN cannot be granted/);
  });

  const tenantRoles = roles.filter((r) => r !== 'PLATFORM_ADMIN');
  const grants = roles.flatMap((granter) => tenantRoles.map((granted) => [granter, granted, atLeast[granter].includes(granted)] as const));

  it.each(grants.filter(([, , ok]) => ok))('%s may grant %s', (granter, granted) => {
    expect(() => assertCanGrant(granter, granted)).not.toThrow();
  });

  it.each(grants.filter(([, , ok]) => !ok))('%s may not grant the higher role %s', (granter, granted) => {
    const error = forbidden(() => assertCanGrant(granter, granted));
    expect(error.message).toBe(`Role ${granter} may not grant ${granted}`);
  });
});
