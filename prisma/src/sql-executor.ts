import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';

/** A row as the driver returns it: column name to parsed value. */
export type SqlRow = Record<string, unknown>;

/** What migrations and the drift check need from a database connection. */
export interface SqlQueryable {
  /** One statement, with $1.. placeholders bound to `params`; resolves to its rows. */
  query<R extends SqlRow = SqlRow>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Several `;`-separated statements without parameters (a migration script). */
  exec(sql: string): Promise<void>;
}

/** A single database session: migrations need one for their transactions and the advisory lock. */
export interface SqlExecutor extends SqlQueryable {
  /** 'postgres' is a server other sessions share; 'pglite' is an in-process database with one session. */
  readonly dialect: 'postgres' | 'pglite';
  /** Runs `fn` in a transaction: commits when it resolves, rolls back and rethrows when it rejects. */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
}

/**
 * Executor over one node-postgres session: a `pg.Client`, or a client checked out of a
 * `pg.Pool` (`await pool.connect()`; release it afterwards). A pool itself is not
 * accepted because its queries may land on different connections, which would split
 * transactions and the session-level advisory lock. The caller connects and ends the client.
 */
export function pgExecutor(client: pg.ClientBase): SqlExecutor {
  const queryable: SqlQueryable = {
    async query<R extends SqlRow>(sql: string, params: readonly unknown[] = []) {
      const result = await client.query(sql, params as unknown[]);
      return result.rows as R[];
    },
    async exec(sql: string) {
      // Without parameters node-postgres uses the simple protocol, which accepts many statements.
      await client.query(sql);
    },
  };
  return {
    dialect: 'postgres',
    ...queryable,
    async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      await client.query('BEGIN');
      try {
        const result = await fn(queryable);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // A failed ROLLBACK (e.g. the connection died) must not hide the original error.
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
  };
}

/**
 * Executor over a PGlite instance. Transactions use PGlite's own `transaction()`, which
 * also keeps other users of the instance (such as a Prisma client on the same PGlite)
 * from interleaving statements with it. The caller closes the instance.
 */
export function pgliteExecutor(db: PGlite): SqlExecutor {
  return {
    dialect: 'pglite',
    async query<R extends SqlRow>(sql: string, params: readonly unknown[] = []) {
      return (await db.query<R>(sql, params as unknown[])).rows;
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
    transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      return db.transaction((tx) =>
        fn({
          async query<R extends SqlRow>(sql: string, params: readonly unknown[] = []) {
            return (await tx.query<R>(sql, params as unknown[])).rows;
          },
          async exec(sql: string) {
            await tx.exec(sql);
          },
        }),
      );
    },
  };
}
