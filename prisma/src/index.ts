// @ump/db: the Prisma client of the platform database, its migrations and test helpers.
// Test helpers (createTestDatabase, ...) live in '@ump/db/src/testing' so that production
// code does not load them.
export * from './generated/client';
export { createDatabase, type Database, type DatabaseLogEvent, type DatabaseOptions } from './client';
export {
  migrate,
  pgExecutor,
  pgliteExecutor,
  type MigrateOptions,
  type MigrationRecord,
  type SqlExecutor,
  type SqlQueryable,
  type SqlRow,
} from './migrate';
export { defaultMigrationsDir, readMigrations, checksumMatches, type MigrationFile } from './migrations-folder';
export { createQueryCounter, type QueryCounter, type QueryEvent } from './query-counter';
export { allTenants, dbFor, forTenant, type TenantDb } from './tenant-scope';
export { isRecordNotFound, isUniqueViolation } from './errors';
