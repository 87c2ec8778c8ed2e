import { apiKeyCacheKey, assertCanGrant, createApiKeySecret, fields, forbidden, notFound, validate, validId } from '@ump/core';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { TenantContext } from '../../context';
import { apiKeyStore } from '../../data/api-keys';
import { requireUserAdmin } from '../Query';
import { roleInput } from './roles';

const createInput = z.object({ name: fields.name, role: roleInput });

/** Creates a key for the caller's tenant; the secret is in the payload once and never again. */
export async function createApiKey(_: unknown, args: { input: unknown }, ctx: TenantContext) {
  const caller = requireUserAdmin(ctx.identity);
  if (!caller.tenantId) throw forbidden('API keys belong to a tenant; sign in as a tenant admin');
  const input = validate(createInput, args.input, 'input');
  assertCanGrant(caller.role, input.role);
  const id = randomUUID();
  const { key, secretHash } = createApiKeySecret(id);
  const apiKey = await apiKeyStore.create(ctx.db, {
    id,
    tenantId: caller.tenantId,
    name: input.name,
    role: input.role,
    secretHash,
    createdById: caller.kind === 'user' ? caller.userId : null,
  });
  return { key, apiKey };
}

/** Revokes a key; it stops working at once, on every gateway (their cached entry is deleted). */
export async function revokeApiKey(_: unknown, args: { id: string }, ctx: TenantContext) {
  requireUserAdmin(ctx.identity);
  const id = validId(args.id);
  const { row } = await apiKeyStore.revoke(ctx.db, id);
  if (!row) throw notFound('API key', 'id');
  await ctx.deps.cache.del(apiKeyCacheKey(id));
  return row;
}
