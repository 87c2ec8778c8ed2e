import DataLoader from 'dataloader';
import { batchById } from '@ump/core';
import type { TenantDb } from '@ump/db';
import { alertStore, type AlertHistoryRow, type AlertRow } from './data/alerts';
import { ruleStore, type RuleRow } from './data/rules';

/** Fresh per request: a loader never outlives its caller's scope. */
export function createLoaders(db: TenantDb) {
  return {
    rule: new DataLoader<string, RuleRow | null>(batchById((ids) => ruleStore.byIds(db, ids))),
    alert: new DataLoader<string, AlertRow | null>(batchById((ids) => alertStore.byIds(db, ids))),
    history: new DataLoader<string, AlertHistoryRow[]>(async (alertIds) => {
      const rows = await alertStore.historyOf(db, alertIds);
      return alertIds.map((id) => rows.filter((row) => row.alertId === id));
    }),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
