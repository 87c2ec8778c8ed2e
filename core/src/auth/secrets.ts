import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** SHA-256 hex. Right for long random secrets (API keys, device tokens), wrong for passwords. */
export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** Constant-time string equality. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * API keys look like `ump_<keyId>_<secret>`: the id finds the row, the secret is checked
 * against its stored SHA-256. The `ump_` prefix lets secret scanners recognise leaked keys.
 */
export function createApiKeySecret(keyId: string): { key: string; secretHash: string; prefix: string } {
  const secret = randomBytes(24).toString('base64url');
  const key = `ump_${keyId.replaceAll('-', '')}_${secret}`;
  return { key, secretHash: sha256(secret), prefix: key.slice(0, 12) };
}

/** Splits an API key; null when it is not shaped like one. */
export function parseApiKey(key: string): { keyId: string; secret: string } | null {
  const match = /^ump_([0-9a-f]{32})_([A-Za-z0-9_-]{32})$/.exec(key);
  if (!match) return null;
  const hex = match[1]!;
  const keyId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { keyId, secret: match[2]! };
}

/** A device access token: 160 random bits, URL- and MQTT-username-safe. */
export function createDeviceToken(): { token: string; tokenHash: string } {
  const token = randomBytes(20).toString('base64url');
  return { token, tokenHash: sha256(token) };
}

/** A random secret for embedded mode, where no operator set one. */
export const randomSecret = () => randomBytes(32).toString('base64url');

/** Cache key of a resolved API key; revocation deletes it so every gateway stops accepting the key. */
export const apiKeyCacheKey = (keyId: string) => `auth:apikey:${keyId}`;
