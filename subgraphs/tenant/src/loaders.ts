import DataLoader from 'dataloader';
import { batchById } from '@ump/core';
import type { TenantDb } from '@ump/db';
import { apiKeyStore, type ApiKeyRow } from './data/api-keys';
import { tenantStore, type TenantRow } from './data/tenants';
import { userStore, type UserRow } from './data/users';

/** Fresh per request (and per subscription event): a loader never outlives its caller's scope. */
export function createLoaders(db: TenantDb) {
  return {
    tenant: new DataLoader<string, TenantRow | null>(batchById((ids) => tenantStore.byIds(db, ids))),
    user: new DataLoader<string, UserRow | null>(batchById((ids) => userStore.byIds(db, ids))),
    apiKey: new DataLoader<string, ApiKeyRow | null>(batchById((ids) => apiKeyStore.byIds(db, ids))),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
