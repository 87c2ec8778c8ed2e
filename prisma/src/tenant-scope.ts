import type { PrismaClient } from './generated/client';
import type { Identity } from '@ump/core';

/**
 * Relation fields of every model. Writes through a scoped client may not use them: a nested
 * write (`connect`, nested `create`) would bypass the scope, so each model is written by its
 * own call. A test checks this table against the datamodel.
 */
export const relationFields: Record<string, readonly string[]> = {
  Tenant: ['users', 'apiKeys'],
  User: ['tenant'],
  ApiKey: ['tenant'],
  DeviceProfile: ['devices'],
  Device: ['profile', 'credential'],
  DeviceCredential: ['device'],
  AlertRule: ['alerts'],
  Alert: ['rule', 'ticket', 'history'],
  AlertHistory: ['alert'],
  Suppression: [],
  TicketPolicy: ['tickets'],
  Ticket: ['policy', 'alerts', 'comments'],
  TicketComment: ['ticket'],
  Firmware: ['rollouts', 'runningOn', 'ranBefore', 'assignedTo', 'rollbackTargetOf'],
  DeviceFirmware: ['currentFirmware', 'previousFirmware', 'targetFirmware'],
  Rollout: ['firmware', 'devices', 'transitions', 'gateResults'],
  RolloutDevice: ['rollout', 'previousFirmware'],
  RolloutTransition: ['rollout'],
  RolloutGateResult: ['rollout'],
};

// Models whose rows belong to one tenant through a `tenantId` column.
export const tenantOwnedModels: readonly string[] = [
  'User',
  'ApiKey',
  'DeviceProfile',
  'Device',
  'DeviceCredential',
  'AlertRule',
  'Alert',
  'AlertHistory',
  'Suppression',
  'TicketPolicy',
  'Ticket',
  'TicketComment',
  'Firmware',
  'DeviceFirmware',
  'Rollout',
  'RolloutDevice',
  'RolloutTransition',
  'RolloutGateResult',
];
const tenantOwned = new Set(tenantOwnedModels);

const reading = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
  'groupBy',
  'delete',
  'deleteMany',
]);
const updating = new Set(['update', 'updateMany', 'updateManyAndReturn']);
const creating = new Set(['create', 'createMany', 'createManyAndReturn']);

type Row = Record<string, unknown>;
type Where = Row & { AND?: unknown };
type Args = { where?: Where; data?: Row | Row[]; create?: Row; update?: Row };

/**
 * Adds `scope` to a filter under AND, keeping the caller's own conditions (a filter on
 * another tenant's id then simply matches nothing). Unique lookups accept AND alongside
 * their unique field, so this works for findUnique, update and delete too.
 */
function within(where: Where | undefined, scope: Where): Where {
  const and = where?.AND === undefined ? [] : Array.isArray(where.AND) ? where.AND : [where.AND];
  return { ...where, AND: [...and, scope] };
}

/** Data for a write: no relation fields, and `tenantId` pinned to the scope on owned models. */
function pinned(model: string, data: Row | undefined, tenantId: string): Row {
  for (const field of relationFields[model] ?? []) {
    if (data && field in data) {
      throw new Error(`Nested writes through ${model}.${field} are not allowed on a tenant-scoped client`);
    }
  }
  return tenantOwned.has(model) ? { ...data, tenantId } : { ...data };
}

/**
 * A Prisma client that can only see and write one tenant's rows: this is where tenant
 * isolation is enforced, once, instead of in every resolver's `where`. Every read, update
 * and delete on a tenant-owned model gets `tenantId` added to its filter (unique lookups
 * too: Prisma accepts extra fields in a unique `where`); every create and update has its
 * `tenantId` pinned to the scope, so no row can be written into or moved to another tenant;
 * nested relation writes are refused. The Tenant model itself is visible only as the
 * caller's own row and cannot be created or deleted. Raw SQL is not scoped: tenant code
 * must not use it. A foreign key column (e.g. `profileId`) is not checked here: resolvers
 * load the referenced row through the scoped client first.
 */
export function forTenant(prisma: PrismaClient, tenantId: string) {
  return prisma.$extends({
    name: 'tenant-scope',
    query: {
      $allModels: {
        $allOperations({ model, operation, args, query }) {
          const a = (args ?? {}) as Args;
          if (model === 'Tenant') {
            if (operation.startsWith('create') || operation.startsWith('delete') || operation === 'upsert') {
              throw new Error(`A tenant-scoped client cannot ${operation} tenants`);
            }
            const data = updating.has(operation) ? { data: pinned(model, a.data as Row, tenantId) } : {};
            return query({ ...a, ...data, where: within(a.where, { id: tenantId }) } as typeof args);
          }
          if (!tenantOwned.has(model)) return query(args);
          if (reading.has(operation)) return query({ ...a, where: within(a.where, { tenantId }) } as typeof args);
          if (updating.has(operation)) {
            const data = pinned(model, a.data as Row, tenantId);
            return query({ ...a, data, where: within(a.where, { tenantId }) } as typeof args);
          }
          if (creating.has(operation)) {
            const data = Array.isArray(a.data) ? a.data.map((row) => pinned(model, row, tenantId)) : pinned(model, a.data, tenantId);
            return query({ ...a, data } as typeof args);
          }
          if (operation === 'upsert') {
            return query({
              ...a,
              where: within(a.where, { tenantId }),
              create: pinned(model, a.create, tenantId),
              update: pinned(model, a.update, tenantId),
            } as typeof args);
          }
          throw new Error(`Operation ${operation} is not supported on a tenant-scoped client`);
        },
      },
    },
  });
}

/** A client scoped to one tenant; stores of tenant data take this, never the raw client. */
export type TenantDb = ReturnType<typeof forTenant>;

/**
 * The unscoped client typed like a scoped one, for platform admins and for the few flows
 * that must cross tenants (login by email, the gateway's API-key lookup).
 */
export function allTenants(prisma: PrismaClient): TenantDb {
  return prisma.$extends({ name: 'all-tenants', query: {} }) as unknown as TenantDb;
}

// Matches no tenant: the scope of callers that belong to none (anonymous, service).
const NO_TENANT = '00000000-0000-0000-0000-000000000000';

/**
 * The client a request may use, from its identity: its own tenant for tenant users and API
 * keys, every tenant for platform admins, and no tenant at all for anyone else.
 */
export function dbFor(prisma: PrismaClient, identity: Identity): TenantDb {
  if (identity.kind === 'user' || identity.kind === 'apiKey') {
    if (identity.tenantId) return forTenant(prisma, identity.tenantId);
    if (identity.role === 'PLATFORM_ADMIN') return allTenants(prisma);
  }
  return forTenant(prisma, NO_TENANT);
}
