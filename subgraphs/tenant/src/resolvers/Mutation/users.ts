import {
  assertCanGrant,
  badInput,
  fields,
  forbidden,
  hashPassword,
  notFound,
  requireCaller,
  unauthenticated,
  validate,
  validId,
  verifyPassword,
} from '@ump/core';
import { z } from 'zod';
import type { TenantContext } from '../../context';
import { userStore } from '../../data/users';
import { isPlatformAdmin, requireUserAdmin } from '../Query';
import { roleInput } from './roles';

const createInput = z.object({
  tenantId: fields.id.nullish(),
  email: fields.email,
  password: fields.password,
  role: roleInput,
});

/**
 * Platform admins create users in any tenant (tenantId required) or other platform admins
 * (no tenantId). Tenant admins create users in their own tenant with a role up to theirs.
 */
export async function createUser(_: unknown, args: { input: unknown }, ctx: TenantContext) {
  const caller = requireUserAdmin(ctx.identity);
  const input = validate(createInput, args.input, 'input');
  let tenantId: string | null;
  if (isPlatformAdmin(ctx.identity)) {
    if (input.role === 'PLATFORM_ADMIN') {
      if (input.tenantId) throw badInput('input.tenantId', 'platform admins belong to no tenant');
      tenantId = null;
    } else {
      if (!input.tenantId) throw badInput('input.tenantId', 'is required when a platform admin creates a user');
      if (!(await ctx.loaders.tenant.load(input.tenantId))) throw badInput('input.tenantId', 'no such tenant');
      tenantId = input.tenantId;
    }
  } else {
    if (input.tenantId && input.tenantId !== caller.tenantId) throw forbidden('You can only add users to your own tenant');
    assertCanGrant(caller.role, input.role);
    tenantId = caller.tenantId;
  }
  const passwordHash = await hashPassword(input.password);
  return userStore.create(ctx.db, { tenantId, email: input.email, passwordHash, role: input.role });
}

export async function updateUserRole(_: unknown, args: { id: string; role: unknown }, ctx: TenantContext) {
  const caller = requireUserAdmin(ctx.identity);
  const id = validId(args.id);
  const role = validate(roleInput, args.role, 'role');
  if (caller.kind === 'user' && caller.userId === id) throw forbidden('You cannot change your own role');
  if (!isPlatformAdmin(ctx.identity)) assertCanGrant(caller.role, role);
  const user = await userStore.update(ctx.db, id, { role });
  if (!user) throw notFound('User', 'id');
  return user;
}

export async function deleteUser(_: unknown, args: { id: string }, ctx: TenantContext) {
  const caller = requireUserAdmin(ctx.identity);
  const id = validId(args.id);
  if (caller.kind === 'user' && caller.userId === id) throw forbidden('You cannot delete yourself');
  if (!(await userStore.remove(ctx.db, id))) throw notFound('User', 'id');
  return id;
}

const passwordArgs = z.object({ currentPassword: z.string().max(200), newPassword: fields.password });

export async function changePassword(_: unknown, args: unknown, ctx: TenantContext) {
  const caller = requireCaller(ctx.identity);
  if (caller.kind !== 'user') throw forbidden('API keys have no password');
  const input = validate(passwordArgs, args, 'changePassword');
  const current = await userStore.passwordHash(ctx.db, caller.userId);
  if (!current || !(await verifyPassword(input.currentPassword, current))) {
    throw unauthenticated('The current password is wrong');
  }
  await userStore.update(ctx.db, caller.userId, { passwordHash: await hashPassword(input.newPassword) });
  return true;
}
