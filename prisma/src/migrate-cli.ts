// `npm run db:migrate`: applies pending migrations to the Postgres database at DATABASE_URL
// (the one place in this package that reads the environment) and prints what it applied.
import pg from 'pg';
import { migrate, pgExecutor } from './migrate';

/** The URL without its password, for messages. */
function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return 'DATABASE_URL (unparsable)';
  }
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (postgresql://user:password@host:5432/database)');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const applied = await migrate(pgExecutor(client), { log: (message) => console.log(message) });
    console.log(
      applied.length === 0
        ? `${describeUrl(url)} is up to date; no migrations applied.`
        : `Applied ${applied.length} migration(s) to ${describeUrl(url)}: ${applied.join(', ')}`,
    );
  } finally {
    await client.end();
  }
}

main().catch((error: unknown) => {
  console.error(`db:migrate failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
