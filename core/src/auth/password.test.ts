import { scryptSync } from 'node:crypto';
import { dummyPasswordHash, hashPassword, verifyPassword } from './password';

// Each hash costs ~50 ms (scrypt N=2^15), so the suite hashes a handful of passwords only.
jest.setTimeout(30_000);

const HASH_SHAPE = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

describe('hashPassword / verifyPassword', () => {
  const password = 'correct horse battery staple';
  let stored: string;

  beforeAll(async () => {
    stored = await hashPassword(password);
  });

  it('verifies the password it hashed', async () => {
    await expect(verifyPassword(password, stored)).resolves.toBe(true);
  });

  it('rejects a wrong password, including near misses', async () => {
    await expect(verifyPassword('correct horse battery stapl', stored)).resolves.toBe(false);
    await expect(verifyPassword('Correct horse battery staple', stored)).resolves.toBe(false);
    await expect(verifyPassword(`${password} `, stored)).resolves.toBe(false);
    await expect(verifyPassword('', stored)).resolves.toBe(false);
  });

  it('stores scheme, cost parameters, a 16-byte salt and a 32-byte key as scrypt$N$r$p$salt$hash', () => {
    const match = HASH_SHAPE.exec(stored);
    expect(match).not.toBeNull();
    const [, n, r, p, salt, hash] = match!;
    expect({ N: Number(n), r: Number(r), p: Number(p) }).toEqual({ N: 32768, r: 8, p: 1 });
    expect(Buffer.from(salt!, 'base64url')).toHaveLength(16);
    expect(Buffer.from(hash!, 'base64url')).toHaveLength(32);
  });

  it('derives the stored key with exactly the embedded parameters (an independent scrypt agrees)', () => {
    const [, n, r, p, salt, hash] = HASH_SHAPE.exec(stored)!;
    const key = scryptSync(password, Buffer.from(salt!, 'base64url'), 32, {
      N: Number(n),
      r: Number(r),
      p: Number(p),
      maxmem: 64 * 1024 * 1024,
    });
    expect(key.toString('base64url')).toBe(hash);
  });

  it('reads the parameters from the stored hash, so hashes made with other costs still verify', async () => {
    // A hash as a future (or past) version with different parameters would have written it.
    const salt = Buffer.from('0123456789abcdef');
    const key = scryptSync('older password', salt, 24, { N: 1024, r: 4, p: 2 });
    const older = ['scrypt', 1024, 4, 2, salt.toString('base64url'), key.toString('base64url')].join('$');
    await expect(verifyPassword('older password', older)).resolves.toBe(true);
    await expect(verifyPassword('other password', older)).resolves.toBe(false);
  });

  it('salts every hash: two hashes of one password differ and both verify', async () => {
    const again = await hashPassword(password);
    expect(again).not.toBe(stored);
    expect(HASH_SHAPE.exec(again)![4]).not.toBe(HASH_SHAPE.exec(stored)![4]);
    await expect(verifyPassword(password, again)).resolves.toBe(true);
  });

  it('normalizes with NFKC: composed and decomposed spellings of a password are the same password', async () => {
    const composed = 'caf\u00e9-p\u00e4ssword'; // é and ä as single code points
    const decomposed = 'cafe\u0301-pa\u0308ssword'; // e + combining acute, a + combining diaeresis
    expect(composed).not.toBe(decomposed);
    const hash = await hashPassword(composed);
    await expect(verifyPassword(decomposed, hash)).resolves.toBe(true);
  });

  it('normalizes compatibility characters too (NFKC, not just NFC): the ligature "ﬁ" equals "fi"', async () => {
    const hash = await hashPassword('\ufb01ne password'); // U+FB01 LATIN SMALL LIGATURE FI
    await expect(verifyPassword('fine password', hash)).resolves.toBe(true);
    // Normalization does not fold case or strip anything else.
    await expect(verifyPassword('FINE password', hash)).resolves.toBe(false);
  });

  it('keeps distinct passwords distinct after normalization', async () => {
    const hash = await hashPassword('\u00e9t\u00e9 password');
    await expect(verifyPassword('ete password', hash)).resolves.toBe(false);
  });

  it('the dummy hash (for flat login timing) is well-formed and matches no ordinary password', async () => {
    const match = HASH_SHAPE.exec(dummyPasswordHash);
    expect(match).not.toBeNull();
    expect(Number(match![1])).toBe(32768); // same cost as real hashes, else timing would differ
    expect(Buffer.from(match![5]!, 'base64url')).toHaveLength(32);
    await expect(verifyPassword('', dummyPasswordHash)).resolves.toBe(false);
    await expect(verifyPassword('password', dummyPasswordHash)).resolves.toBe(false);
  });
});

describe('verifyPassword with a malformed stored hash', () => {
  let good: string[];
  beforeAll(async () => {
    good = (await hashPassword('the password')).split('$');
  });

  it.each([
    ['empty string', () => ''],
    ['no separators', () => 'not a hash'],
    ['a bcrypt hash', () => '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'],
    ['another scheme name', () => ['argon2', ...good.slice(1)].join('$')],
    ['missing the hash part', () => good.slice(0, 5).join('$')],
    ['empty hash part', () => [...good.slice(0, 5), ''].join('$')],
    ['empty salt part', () => [...good.slice(0, 4), '', good[5]].join('$')],
  ])('returns false for %s', async (_name, make) => {
    await expect(verifyPassword('the password', make())).resolves.toBe(false);
  });

  // A hash part that decodes to zero bytes must not make an empty key compare equal.
  it('returns false (never true) when the hash part is not base64url', async () => {
    const stored = [...good.slice(0, 5), '!!!!'].join('$');
    await expect(verifyPassword('any password at all', stored)).resolves.toBe(false);
  });

  // Cost parameters that scrypt refuses (or that would allocate too much) resolve false.
  it.each([
    ['a non-numeric N', () => ['scrypt', 'abc', ...good.slice(2)].join('$')],
    ['an N that is not a power of two', () => ['scrypt', '1000', ...good.slice(2)].join('$')],
    ['r = 0', () => ['scrypt', good[1], '0', ...good.slice(3)].join('$')],
    ['an N that would allocate gigabytes', () => ['scrypt', String(2 ** 30), ...good.slice(2)].join('$')],
  ])('resolves false (does not reject) for %s', async (_name, make) => {
    await expect(verifyPassword('the password', make())).resolves.toBe(false);
  });
});
