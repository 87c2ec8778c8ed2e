import {
  decodeCursor,
  forbidden,
  notFound,
  pageSize,
  requireCaller,
  roleAtLeast,
  toConnection,
  validId,
  type Identity,
} from '@ump/core';
import type { TenantContext } from '../context';
import { tenantStore } from '../data/tenants';
import { userStore } from '../data/users';
import { authenticateApiKey } from './authenticate-api-key';

export const isPlatformAdmin = (identity: Identity) =>
  (identity.kind === 'user' || identity.kind === 'apiKey') && identity.role === 'PLATFORM_ADMIN';

/** Throws FORBIDDEN unless the caller administers users: a tenant admin or a platform admin. */
export function requireUserAdmin(identity: Identity) {
  const caller = requireCaller(identity);
  if (!roleAtLeast(caller.role, 'TENANT_ADMIN')) throw forbidden('Only tenant admins manage users and API keys');
  return caller;
}

type PageArgs = { first?: number | null; after?: string | null };

/** One page of users: of the given tenant, of the caller's tenant, or (platform admin) of all. */
export async function usersPage(ctx: TenantContext, args: PageArgs, tenantId?: string) {
  requireUserAdmin(ctx.identity);
  const size = pageSize(args.first);
  const { rows, total } = await userStore.page(ctx.db, tenantId ? { tenantId } : {}, size, decodeCursor('User', args.after));
  return toConnection('User', rows, size, total);
}

export const Query = {
  async me(_: unknown, __: unknown, ctx: TenantContext) {
    const caller = requireCaller(ctx.identity);
    return {
      role: caller.role,
      tenantId: caller.tenantId,
      userId: caller.kind === 'user' ? caller.userId : null,
      apiKeyId: caller.kind === 'apiKey' ? caller.apiKeyId : null,
    };
  },

  async tenant(_: unknown, args: { id: string }, ctx: TenantContext) {
    requireCaller(ctx.identity);
    const tenant = await ctx.loaders.tenant.load(validId(args.id));
    if (!tenant) throw notFound('Tenant', 'id');
    return tenant;
  },

  async tenants(_: unknown, args: PageArgs, ctx: TenantContext) {
    if (!isPlatformAdmin(ctx.identity)) throw forbidden('Only platform admins list tenants');
    const size = pageSize(args.first);
    const { rows, total } = await tenantStore.page(ctx.db, size, decodeCursor('Tenant', args.after));
    return toConnection('Tenant', rows, size, total);
  },

  async user(_: unknown, args: { id: string }, ctx: TenantContext) {
    const caller = requireCaller(ctx.identity);
    const id = validId(args.id);
    if (!(caller.kind === 'user' && caller.userId === id)) requireUserAdmin(ctx.identity);
    const user = await ctx.loaders.user.load(id);
    if (!user) throw notFound('User', 'id');
    return user;
  },

  users: (_: unknown, args: PageArgs, ctx: TenantContext) => usersPage(ctx, args),

  authenticateApiKey,
};
