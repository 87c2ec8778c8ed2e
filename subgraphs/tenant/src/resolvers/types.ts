import { requireCaller } from '@ump/core';
import type { TenantContext } from '../context';
import { apiKeyStore, type ApiKeyRow } from '../data/api-keys';
import type { TenantRow } from '../data/tenants';
import type { UserRow } from '../data/users';
import { requireUserAdmin, usersPage } from './Query';

type Ref = { id: string };

// `load()` is called without awaiting anything first, so that every reference of one
// `_entities` request lands in the same DataLoader batch.
export const Tenant = {
  __resolveReference: (ref: Ref, ctx: TenantContext) => (requireCaller(ctx.identity), ctx.loaders.tenant.load(ref.id)),
  users: (tenant: TenantRow, args: { first?: number; after?: string }, ctx: TenantContext) =>
    usersPage(ctx, args, tenant.id),
  async apiKeys(tenant: TenantRow, _: unknown, ctx: TenantContext) {
    requireUserAdmin(ctx.identity);
    return (await apiKeyStore.list(ctx.db)).filter((key) => key.tenantId === tenant.id);
  },
};

export const User = {
  __resolveReference: (ref: Ref, ctx: TenantContext) => (requireCaller(ctx.identity), ctx.loaders.user.load(ref.id)),
  tenant: (user: UserRow, _: unknown, ctx: TenantContext) => (user.tenantId ? ctx.loaders.tenant.load(user.tenantId) : null),
};

export const ApiKey = {
  __resolveReference: (ref: Ref, ctx: TenantContext) => (requireCaller(ctx.identity), ctx.loaders.apiKey.load(ref.id)),
  prefix: (key: ApiKeyRow) => `ump_${key.id.replaceAll('-', '').slice(0, 8)}`,
  tenant: (key: ApiKeyRow, _: unknown, ctx: TenantContext) => ctx.loaders.tenant.load(key.tenantId),
};

type IdentityRow = { role: string; tenantId: string | null; userId: string | null; apiKeyId: string | null };

export const Identity = {
  tenant: (me: IdentityRow, _: unknown, ctx: TenantContext) => (me.tenantId ? ctx.loaders.tenant.load(me.tenantId) : null),
  user: (me: IdentityRow, _: unknown, ctx: TenantContext) => (me.userId ? ctx.loaders.user.load(me.userId) : null),
  apiKey: (me: IdentityRow, _: unknown, ctx: TenantContext) => (me.apiKeyId ? ctx.loaders.apiKey.load(me.apiKeyId) : null),
};
