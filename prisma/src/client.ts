import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient, type Prisma } from './generated/client';
import { migrate, pgExecutor, pgliteExecutor } from './migrate';
import type { QueryEvent } from './query-counter';

/** A message of the Prisma client or the migrator. */
export interface DatabaseLogEvent {
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** Options of {@link createDatabase}. */
export interface DatabaseOptions {
  /** postgresql:// URL of a server; when absent the database is an embedded PGlite. */
  databaseUrl?: string;
  /**
   * Where the embedded database persists, as `${dataDir}/postgres` (created if missing).
   * Ignored with `databaseUrl`; when both are absent the database lives in memory only.
   */
  dataDir?: string;
  /** Receives Prisma's info/warn/error events and migration progress; default: none are reported. */
  log?: (event: DatabaseLogEvent) => void;
  /** Receives every SQL statement the Prisma client sends (see createQueryCounter); default none. */
  onQuery?: (event: QueryEvent) => void;
}

/** A connected database; see {@link createDatabase}. */
export interface Database {
  prisma: PrismaClient;
  kind: 'postgres' | 'pglite';
  /** Applies pending migrations (see `migrate`); resolves to the names applied. */
  migrate(): Promise<string[]>;
  /** Disconnects Prisma and closes PGlite; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Opens the platform database: Postgres through Prisma's pg adapter when `databaseUrl` is
 * given, otherwise an embedded PGlite (persisted under `dataDir`, or in memory). It does not
 * migrate; call `migrate()` before the first query. The Postgres pool connects lazily, so a
 * bad URL surfaces on the first query or `migrate()`; a PGlite data directory that cannot be
 * created or opened rejects here.
 *
 * Always `close()` it: an open PGlite keeps the process alive and makes it exit with code 99.
 */
export async function createDatabase(opts: DatabaseOptions = {}): Promise<Database> {
  const log = opts.log;
  const logDefinitions: Prisma.LogDefinition[] = [
    ...(opts.onQuery ? [{ level: 'query' as const, emit: 'event' as const }] : []),
    ...(log ? (['info', 'warn', 'error'] as const).map((level) => ({ level, emit: 'event' as const })) : []),
  ];
  const migrationLog = (message: string) => log?.({ level: 'info', message });

  if (opts.databaseUrl) {
    const databaseUrl = opts.databaseUrl;
    const adapter = new PrismaPg(
      { connectionString: databaseUrl },
      log ? { onPoolError: (error) => log({ level: 'error', message: `postgres pool: ${error.message}` }) } : undefined,
    );
    const prisma = withEvents(new PrismaClient({ adapter, log: logDefinitions }), opts);
    return {
      prisma,
      kind: 'postgres',
      async migrate() {
        // A dedicated session: the migrator's transactions and advisory lock need one, and
        // the Prisma pool's connections are not handed out.
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        try {
          return await migrate(pgExecutor(client), { log: migrationLog });
        } finally {
          await client.end();
        }
      },
      close: once(() => prisma.$disconnect()),
    };
  }

  const dir = opts.dataDir ? path.join(opts.dataDir, 'postgres') : undefined;
  if (dir) await fs.mkdir(dir, { recursive: true });
  const pglite = await PGlite.create(dir);
  const prisma = withEvents(new PrismaClient({ adapter: new PrismaPGlite(pglite), log: logDefinitions }), opts);
  return {
    prisma,
    kind: 'pglite',
    migrate: () => migrate(pgliteExecutor(pglite), { log: migrationLog }),
    close: once(async () => {
      try {
        await prisma.$disconnect();
      } finally {
        await pglite.close();
      }
    }),
  };
}

// Subscribes the callbacks to the events that `log` asked Prisma to emit.
function withEvents(prisma: PrismaClient<Prisma.LogLevel>, opts: DatabaseOptions): PrismaClient {
  const { log, onQuery } = opts;
  if (onQuery) {
    prisma.$on('query', (event) =>
      onQuery({ query: event.query, params: event.params, durationMs: event.duration }),
    );
  }
  if (log) {
    for (const level of ['info', 'warn', 'error'] as const) {
      prisma.$on(level, (event) => log({ level, message: event.message }));
    }
  }
  return prisma as unknown as PrismaClient;
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= fn());
}
