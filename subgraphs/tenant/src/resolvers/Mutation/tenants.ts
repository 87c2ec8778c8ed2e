import { assertRole, fields, forbidden, notFound, requireCaller, validate, validId } from '@ump/core';
import { z } from 'zod';
import type { TenantContext } from '../../context';
import { tenantStore } from '../../data/tenants';
import { isPlatformAdmin } from '../Query';

const plan = z.string().trim().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a lowercase plan name like "standard"');
const createInput = z.object({ name: fields.name, plan: plan.optional() });
const updateInput = z.object({ name: fields.name.optional(), plan: plan.optional() });

export async function createTenant(_: unknown, args: { input: unknown }, ctx: TenantContext) {
  if (!isPlatformAdmin(ctx.identity)) throw forbidden('Only platform admins create tenants');
  return tenantStore.create(ctx.db, validate(createInput, args.input, 'input'));
}

/** Platform admins change any tenant; a tenant admin may rename its own, not change its plan. */
export async function updateTenant(_: unknown, args: { id: string; input: unknown }, ctx: TenantContext) {
  const caller = requireCaller(ctx.identity);
  const id = validId(args.id);
  const input = validate(updateInput, args.input, 'input');
  if (!isPlatformAdmin(ctx.identity)) {
    assertRole(caller.role, 'TENANT_ADMIN', 'change the tenant');
    if (input.plan !== undefined) throw forbidden('Only platform admins change a plan');
  }
  const tenant = await tenantStore.update(ctx.db, id, input);
  if (!tenant) throw notFound('Tenant', 'id');
  return tenant;
}
