/**
 * Cache key under which the intake keeps a resolved device access token, named by the
 * token's SHA-256 (the same hash `device_credentials.token_hash` stores), so the token itself
 * never appears in the cache. The device subgraph deletes this key when it rotates a token
 * or deletes a device: with a shared cache (Redis, or one in-process cache in embedded mode)
 * the old token stops working at once; otherwise the intake's cache TTL bounds how long it
 * keeps working.
 */
export const deviceCredentialCacheKey = (tokenHash: string) => `device:credential:${tokenHash}`;

/**
 * Cache pub/sub channel on which the device subgraph announces a revoked token (rotated, or
 * its device deleted); the message is the token's SHA-256. The MQTT intake closes the live
 * connections of that token at once. A lost notice is covered by the connections' periodic
 * re-check (INTAKE_CREDENTIAL_RECHECK_MS).
 */
export const deviceCredentialRevokedChannel = 'device:credential:revoked';
