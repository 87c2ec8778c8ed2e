import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateSecrets } from './secrets';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('loadOrCreateSecrets', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ump-secrets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = () => path.join(dir, 'secrets.json');

  it('generates two different long secrets and persists them in <dataDir>/secrets.json', () => {
    const secrets = loadOrCreateSecrets(dir, {});
    expect(secrets.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(secrets.internalSecret.length).toBeGreaterThanOrEqual(32);
    expect(secrets.jwtSecret).not.toBe(secrets.internalSecret);
    expect(JSON.parse(readFileSync(file(), 'utf8'))).toEqual(secrets);
  });

  it('creates the data directory when it does not exist yet', () => {
    const nested = path.join(dir, 'deep', 'data');
    const secrets = loadOrCreateSecrets(nested, {});
    expect(JSON.parse(readFileSync(path.join(nested, 'secrets.json'), 'utf8'))).toEqual(secrets);
  });

  it('writes the file readable by its owner only (mode 0600)', () => {
    loadOrCreateSecrets(dir, {});
    expect(statSync(file()).mode & 0o777).toBe(0o600);
  });

  it('returns the same secrets on the next call (tokens survive a restart)', () => {
    const first = loadOrCreateSecrets(dir, {});
    const second = loadOrCreateSecrets(dir, {});
    expect(second).toEqual(first);
  });

  it('generates different secrets for different data directories', () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'ump-secrets-'));
    try {
      expect(loadOrCreateSecrets(other, {}).jwtSecret).not.toBe(loadOrCreateSecrets(dir, {}).jwtSecret);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('uses configured secrets when both are set, without touching the data directory', () => {
    expect(loadOrCreateSecrets(dir, { jwtSecret: A, internalSecret: B })).toEqual({ jwtSecret: A, internalSecret: B });
    expect(existsSync(file())).toBe(false);
  });

  it('configured values win over stored ones, one at a time', () => {
    const stored = loadOrCreateSecrets(dir, {});
    expect(loadOrCreateSecrets(dir, { jwtSecret: A })).toEqual({ jwtSecret: A, internalSecret: stored.internalSecret });
    expect(loadOrCreateSecrets(dir, { internalSecret: B })).toEqual({ jwtSecret: stored.jwtSecret, internalSecret: B });
    // The stored file is not overwritten by configured values.
    expect(JSON.parse(readFileSync(file(), 'utf8'))).toEqual(stored);
  });

  it('a configured secret still persists a generated one for the other', () => {
    const first = loadOrCreateSecrets(dir, { jwtSecret: A });
    expect(first.jwtSecret).toBe(A);
    expect(loadOrCreateSecrets(dir, { jwtSecret: A }).internalSecret).toBe(first.internalSecret);
  });

  it('reads an existing valid file', () => {
    writeFileSync(file(), JSON.stringify({ jwtSecret: A, internalSecret: B }));
    expect(loadOrCreateSecrets(dir, {})).toEqual({ jwtSecret: A, internalSecret: B });
  });

  it.each([
    ['not JSON', '{nope'],
    ['secrets too short', JSON.stringify({ jwtSecret: 'short', internalSecret: B })],
    ['a missing secret', JSON.stringify({ jwtSecret: A })],
  ])('replaces a stored file with %s by fresh secrets', (_name, content) => {
    writeFileSync(file(), content);
    const secrets = loadOrCreateSecrets(dir, {});
    expect(secrets.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(secrets.internalSecret).not.toBe(B);
    expect(JSON.parse(readFileSync(file(), 'utf8'))).toEqual(secrets);
  });
});
