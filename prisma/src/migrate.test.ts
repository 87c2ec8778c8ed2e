import { PGlite } from '@electric-sql/pglite';
import { migrateContract } from './migrate.contract';
import { pgliteExecutor } from './sql-executor';

// Starting a PGlite takes a second or two, more on a cold cache.
jest.setTimeout(60_000);

migrateContract('PGlite', async () => {
  const db = await PGlite.create();
  return { executor: pgliteExecutor(db), close: () => db.close() };
});
