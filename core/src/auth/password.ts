import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// scrypt is memory-hard and ships with Node: no native add-on to build. N=2^15, r=8 costs
// 32 MiB and ~50 ms per hash on one core, OWASP's recommended minimum.
const params = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 };

function scrypt(password: string, salt: Buffer, p: typeof params): Promise<Buffer> {
  const options: ScryptOptions = { N: p.N, r: p.r, p: p.p, maxmem: 128 * p.N * p.r * 2 };
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize('NFKC'), salt, p.keyLength, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Hashes a password as `scrypt$N$r$p$salt$hash` (base64url), so parameters can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

// Stored parameters are bounded before use: a tampered row must neither pass with an empty
// key nor make the server allocate gigabytes.
const storedFormat = {
  N: (n: number) => Number.isInteger(n) && n >= 2 && n <= 2 ** 20 && (n & (n - 1)) === 0,
  r: (r: number) => Number.isInteger(r) && r >= 1 && r <= 32,
  p: (p: number) => Number.isInteger(p) && p >= 1 && p <= 16,
};

/**
 * Constant-time check of a password against `hashPassword` output. Resolves false, never
 * throws, for a malformed hash or parameters outside the bounds above.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash, ...rest] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash || rest.length > 0) return false;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  if (!storedFormat.N(cost.N) || !storedFormat.r(cost.r) || !storedFormat.p(cost.p)) return false;
  const base64url = /^[A-Za-z0-9_-]+$/;
  if (!base64url.test(salt) || !base64url.test(hash)) return false;
  const expected = Buffer.from(hash, 'base64url');
  const saltBytes = Buffer.from(salt, 'base64url');
  if (expected.length < 16 || saltBytes.length < 16) return false;
  try {
    const actual = await scrypt(password, saltBytes, { ...cost, keyLength: expected.length });
    return timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}

/** A password that a hash of the same cost can be checked against, to keep login timing flat. */
export const dummyPasswordHash = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
