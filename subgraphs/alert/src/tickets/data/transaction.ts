import type { TenantDb } from '@ump/db';

/**
 * Runs `work` in a transaction on `db`, or, with `joined`, directly on `db` because it already
 * is a transaction's client. (A transaction client would open a nested transaction, a
 * savepoint, which the embedded database's adapter does not support.)
 */
export function inTransaction<T>(db: TenantDb, work: (tx: TenantDb) => Promise<T>, joined = false): Promise<T> {
  if (joined) return work(db);
  // The interactive client is the scoped client minus the connection methods: the scope holds.
  return db.$transaction((tx) => work(tx as unknown as TenantDb));
}
