import { forbidden, parseApiKey, safeEqual, sha256 } from '@ump/core';
import type { TenantContext } from '../context';
import { apiKeyStore } from '../data/api-keys';

/**
 * The gateway's API-key lookup (a `service` identity only). Returns null for an unknown,
 * malformed, revoked or wrong key alike, so callers learn nothing about which it was.
 */
export async function authenticateApiKey(_: unknown, args: { key: string }, ctx: TenantContext) {
  if (ctx.identity.kind !== 'service') throw forbidden('Only the gateway resolves API keys');
  const parsed = parseApiKey(args.key);
  if (!parsed) return null;
  const [row] = await apiKeyStore.byIds(ctx.crossTenant, [parsed.keyId]);
  if (!row || row.revokedAt || !safeEqual(row.secretHash, sha256(parsed.secret))) return null;
  await apiKeyStore.touch(ctx.crossTenant, row.id);
  return { apiKeyId: row.id, tenantId: row.tenantId, role: row.role };
}
