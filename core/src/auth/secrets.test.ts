import { createHash, randomUUID } from 'node:crypto';
import { apiKeyCacheKey, createApiKeySecret, createDeviceToken, parseApiKey, randomSecret, safeEqual, sha256 } from './secrets';

const sha256Hex = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

describe('sha256', () => {
  it('is the hex SHA-256 of the UTF-8 input', () => {
    expect(sha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256('ünïcødé')).toBe(sha256Hex('ünïcødé'));
  });
});

describe('safeEqual', () => {
  it('compares strings exactly, including different lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });
});

describe('API keys', () => {
  const keyId = randomUUID();

  it('look like ump_<32 hex of the key id>_<32 base64url secret chars>', () => {
    const { key } = createApiKeySecret(keyId);
    expect(key).toMatch(/^ump_[0-9a-f]{32}_[A-Za-z0-9_-]{32}$/);
    expect(key.slice(4, 36)).toBe(keyId.replaceAll('-', ''));
  });

  it('expose a 12-character display prefix that is the start of the key and holds no secret', () => {
    const { key, prefix } = createApiKeySecret(keyId);
    expect(prefix).toHaveLength(12);
    expect(key.startsWith(prefix)).toBe(true);
    expect(prefix).toBe(`ump_${keyId.replaceAll('-', '').slice(0, 8)}`);
  });

  it('parse back to the uuid key id and the secret', () => {
    const { key } = createApiKeySecret(keyId);
    const parsed = parseApiKey(key);
    expect(parsed).not.toBeNull();
    expect(parsed!.keyId).toBe(keyId);
    expect(key.endsWith(`_${parsed!.secret}`)).toBe(true);
    expect(parsed!.secret).toHaveLength(32);
  });

  it('round-trip for many random keys (secrets may contain "_" and "-")', () => {
    for (let i = 0; i < 200; i++) {
      const id = randomUUID();
      const { key, secretHash } = createApiKeySecret(id);
      const parsed = parseApiKey(key);
      expect(parsed?.keyId).toBe(id);
      expect(sha256(parsed!.secret)).toBe(secretHash);
    }
  });

  it('store only the SHA-256 of the secret part (not of the whole key)', () => {
    const { key, secretHash } = createApiKeySecret(keyId);
    const { secret } = parseApiKey(key)!;
    expect(secretHash).toBe(sha256Hex(secret));
    expect(secretHash).not.toBe(sha256Hex(key));
    expect(secretHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('have a fresh secret each time, even for the same key id', () => {
    const a = createApiKeySecret(keyId);
    const b = createApiKeySecret(keyId);
    expect(a.key).not.toBe(b.key);
    expect(a.secretHash).not.toBe(b.secretHash);
    expect(parseApiKey(a.key)!.keyId).toBe(parseApiKey(b.key)!.keyId);
  });

  describe('parseApiKey rejects what is not shaped like a key', () => {
    const good = createApiKeySecret(keyId).key;
    const [, hex, secret] = /^ump_([0-9a-f]{32})_(.{32})$/.exec(good)!;
    it.each([
      ['empty', ''],
      ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig'],
      ['wrong prefix', `umq_${hex}_${secret}`],
      ['upper-case prefix', `UMP_${hex}_${secret}`],
      ['id with dashes', `ump_${keyId}_${secret}`],
      ['id too short', `ump_${hex!.slice(1)}_${secret}`],
      ['id not hex', `ump_${'g'.repeat(32)}_${secret}`],
      ['id upper-case hex', `ump_${'A'.repeat(32)}_${secret}`],
      ['secret too short', `ump_${hex}_${secret!.slice(1)}`],
      ['secret too long', `ump_${hex}_${secret}A`],
      ['secret with a forbidden character', `ump_${hex}_${secret!.slice(1)}+`],
      ['leading whitespace', ` ${good}`],
      ['trailing newline', `${good}\n`],
      ['missing separator', `ump_${hex}${secret}`],
    ])('%s', (_name, key) => {
      expect(parseApiKey(key)).toBeNull();
    });
  });

  it('cache their resolution under a key naming the key id', () => {
    expect(apiKeyCacheKey(keyId)).toBe(`auth:apikey:${keyId}`);
    expect(apiKeyCacheKey('a')).not.toBe(apiKeyCacheKey('b'));
  });
});

describe('device tokens', () => {
  it('are 160-bit base64url tokens (27 characters) with their SHA-256', () => {
    const { token, tokenHash } = createDeviceToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{27}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(20);
    expect(tokenHash).toBe(sha256Hex(token));
  });

  it('are unique', () => {
    const tokens = new Set(Array.from({ length: 500 }, () => createDeviceToken().token));
    expect(tokens.size).toBe(500);
  });
});

describe('randomSecret', () => {
  it('is 32 random bytes, long enough for JWT_SECRET (>= 32 characters), and unique', () => {
    const a = randomSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(randomSecret()).not.toBe(a);
  });
});
