import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** prisma/migrations of this package, wherever the process was started from. */
export const defaultMigrationsDir = path.resolve(__dirname, '..', 'migrations');

/** One `<name>/migration.sql` of a migrations folder. */
export interface MigrationFile {
  /** Folder name, e.g. `20261127000000_init`; also the `migration_name` recorded when applied. */
  name: string;
  /** Contents of migration.sql. */
  script: string;
  /** Lower-case hex SHA-256 of migration.sql, as Prisma records it. */
  checksum: string;
}

/**
 * Reads a Prisma migrations folder: every subfolder, sorted by name (Prisma's order), with
 * its migration.sql. Fails when the folder is missing, a subfolder has no migration.sql,
 * or migration_lock.toml names a provider other than postgresql.
 */
export async function readMigrations(dir: string = defaultMigrationsDir): Promise<MigrationFile[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`Cannot read the migrations folder ${dir}: ${error.code ?? error.message}`);
  });
  await checkLockProvider(dir);
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name, 'migration.sql');
      const bytes = await fs.readFile(file).catch(() => {
        throw new Error(`Migration folder ${name} has no readable migration.sql (${file})`);
      });
      return { name, script: bytes.toString('utf8'), checksum: sha256Hex(bytes) };
    }),
  );
}

// migrate deploy refuses a folder locked to another provider (error P3019); so do we.
async function checkLockProvider(dir: string): Promise<void> {
  const lock = await fs.readFile(path.join(dir, 'migration_lock.toml'), 'utf8').catch(() => undefined);
  const provider = lock?.match(/^\s*provider\s*=\s*"([^"]*)"/m)?.[1];
  if (provider !== undefined && provider !== 'postgresql') {
    throw new Error(`${dir}/migration_lock.toml is for provider "${provider}", but this database is postgresql`);
  }
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Whether `script` is the migration recorded with `checksum`. Accepts what Prisma accepts:
 * the script as is or with its line endings converted either way (git may rewrite them on
 * checkout), and the unpadded hex some old Prisma versions recorded.
 */
export function checksumMatches(script: string, checksum: string): boolean {
  const variants = [script, script.replace(/\r\n/g, '\n'), script.replace(/\n/g, '\r\n')];
  const legacy = checksum.length !== 0 && checksum.length !== 64;
  return variants.some((variant) => {
    const digest = createHash('sha256').update(variant).digest();
    const rendered = legacy ? [...digest].map((byte) => byte.toString(16)).join('') : digest.toString('hex');
    return rendered === checksum;
  });
}
