import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { checksumMatches, defaultMigrationsDir, readMigrations } from './migrations-folder';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('readMigrations', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ump-migrations-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const add = async (name: string, sql: string) => {
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, 'migration.sql'), sql);
  };

  it('reads this package’s migrations, with the checksum of the file bytes', async () => {
    const [init] = await readMigrations();
    const file = await readFile(path.join(defaultMigrationsDir, '20261127000000_init', 'migration.sql'));
    expect(init?.name).toBe('20261127000000_init');
    expect(init?.checksum).toBe(createHash('sha256').update(file).digest('hex'));
  });

  it('orders folders by name and ignores loose files', async () => {
    await add('20260102000000_b', 'SELECT 2;');
    await add('20260101000000_a', 'SELECT 1;');
    await writeFile(path.join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
    const migrations = await readMigrations(dir);
    expect(migrations.map((m) => [m.name, m.script, m.checksum])).toEqual([
      ['20260101000000_a', 'SELECT 1;', sha256('SELECT 1;')],
      ['20260102000000_b', 'SELECT 2;', sha256('SELECT 2;')],
    ]);
  });

  it('fails on a folder without migration.sql, naming it', async () => {
    await mkdir(path.join(dir, '20260101000000_empty'));
    await expect(readMigrations(dir)).rejects.toThrow(/20260101000000_empty has no readable migration\.sql/);
  });

  it('fails on a lock file of another provider', async () => {
    await writeFile(path.join(dir, 'migration_lock.toml'), 'provider = "mysql"\n');
    await expect(readMigrations(dir)).rejects.toThrow(/provider "mysql"/);
  });

  it('fails on a missing folder', async () => {
    await expect(readMigrations(path.join(dir, 'nope'))).rejects.toThrow(/Cannot read the migrations folder .*ENOENT/);
  });
});

describe('checksumMatches', () => {
  const script = 'CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n';

  it('matches the sha256 of the script, and not of another script', () => {
    expect(checksumMatches(script, sha256(script))).toBe(true);
    expect(checksumMatches(`${script}-- edited\n`, sha256(script))).toBe(false);
  });

  it('accepts either line ending, as Prisma does after git rewrote them', () => {
    const crlf = script.replace(/\n/g, '\r\n');
    expect(checksumMatches(crlf, sha256(script))).toBe(true);
    expect(checksumMatches(script, sha256(crlf))).toBe(true);
  });

  it('accepts the unpadded hex old Prisma versions recorded', () => {
    const unpadded = (text: string) =>
      [...createHash('sha256').update(text).digest()].map((byte) => byte.toString(16)).join('');
    // A script whose digest has a byte below 0x10, so that padding makes a difference.
    const old = Array.from({ length: 100 }, (_, i) => `SELECT ${i};`).find((text) => unpadded(text).length < 64)!;
    expect(checksumMatches(old, unpadded(old))).toBe(true);
    expect(checksumMatches(`${old} `, unpadded(old))).toBe(false);
  });
});
