/** One SQL statement the Prisma client sent (Prisma's `query` log event). */
export interface QueryEvent {
  /** The SQL text, with $1.. placeholders. */
  query: string;
  /** The bound parameters as Prisma renders them (a JSON-ish string). */
  params: string;
  durationMs: number;
}

/** Collects the SQL statements of a client; see {@link createQueryCounter}. */
export interface QueryCounter {
  /** Pass as `onQuery` to `createDatabase` (or a test database). */
  readonly onQuery: (event: QueryEvent) => void;
  /** Statements seen since creation or the last `reset()`. */
  readonly count: number;
  /** Their SQL, oldest first. */
  readonly queries: readonly string[];
  /** Forgets what was seen, e.g. after fixtures were inserted. */
  reset(): void;
  /** Runs `fn` and resolves to its result and the number of statements it sent. */
  measure<T>(fn: () => Promise<T>): Promise<{ result: T; count: number }>;
}

/**
 * Counts SQL statements for N+1 tests. Counting statements (not Prisma operations) is what
 * matters there: one `findMany({ include })` is several statements, and a loop of
 * `findUnique` calls is one statement each unless the client batches them.
 *
 *   const counter = createQueryCounter();
 *   const { db } = await createEmbeddedTestDatabase({ onQuery: counter.onQuery });
 *   const { count } = await counter.measure(() => resolveDevices(db.prisma));
 *   expect(count).toBe(2);
 */
export function createQueryCounter(): QueryCounter {
  const queries: string[] = [];
  return {
    onQuery: (event) => void queries.push(event.query),
    get count() {
      return queries.length;
    },
    get queries() {
      return queries.slice();
    },
    reset() {
      queries.length = 0;
    },
    async measure<T>(fn: () => Promise<T>) {
      const before = queries.length;
      const result = await fn();
      return { result, count: queries.length - before };
    },
  };
}
