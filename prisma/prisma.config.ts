import { defineConfig } from 'prisma/config';

// The Prisma CLI reads this file. The URL matters only to CLI commands that talk to a
// database (migrate status/deploy/diff with internet access); `generate` never connects.
export default defineConfig({
  schema: 'schema',
  migrations: { path: 'migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/ump' },
});
