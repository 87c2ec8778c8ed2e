import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { randomSecret } from '../auth/secrets';

const stored = z.object({ jwtSecret: z.string().min(32), internalSecret: z.string().min(32) });
export type Secrets = z.infer<typeof stored>;

/**
 * Secrets for embedded mode: the configured ones where set, otherwise generated once and
 * kept in `<dataDir>/secrets.json` (mode 600) so tokens survive a restart. Multi-process
 * deployments must configure both, since every process has to agree on them.
 */
export function loadOrCreateSecrets(dataDir: string, configured: Partial<Secrets>): Secrets {
  if (configured.jwtSecret && configured.internalSecret) return configured as Secrets;
  const file = path.join(dataDir, 'secrets.json');
  let existing: Secrets | undefined;
  try {
    existing = stored.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    existing = undefined;
  }
  const secrets: Secrets = existing ?? { jwtSecret: randomSecret(), internalSecret: randomSecret() };
  if (!existing) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
    // `mode` applies only when the file is created; a corrupt file being replaced keeps its own.
    chmodSync(file, 0o600);
  }
  return { jwtSecret: configured.jwtSecret ?? secrets.jwtSecret, internalSecret: configured.internalSecret ?? secrets.internalSecret };
}
