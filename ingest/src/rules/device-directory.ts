import { allTenants, type PrismaClient } from '@ump/db';
import type { DeviceFacts } from './rule-set';

/** Options of {@link createDeviceDirectory}. */
export interface DeviceDirectoryOptions {
  prisma: PrismaClient;
  /** How long a device's profile and labels are trusted; default 30 s. */
  ttlMs?: number;
  now?: () => number;
}

/** Profiles and labels of devices, for label and profile rules. */
export interface DeviceDirectory {
  /**
   * The facts of every id (null for a device that does not exist), from memory when fresh,
   * otherwise with ONE query for all the ids missing. Rejects when the database does.
   */
  lookup(deviceIds: readonly string[]): Promise<Map<string, DeviceFacts | null>>;
}

// Above this many entries, expired ones are swept on the next lookup.
const SWEEP_ABOVE = 10_000;

/**
 * An in-memory, TTL-bounded directory of devices over the `devices` table (read across
 * tenants: the worker checks that a device belongs to the message's tenant). A label or
 * profile change reaches the rules within the TTL.
 */
export function createDeviceDirectory({ prisma, ttlMs = 30_000, now = Date.now }: DeviceDirectoryOptions): DeviceDirectory {
  const entries = new Map<string, { facts: DeviceFacts | null; expiresAt: number }>();
  return {
    async lookup(deviceIds) {
      const at = now();
      if (entries.size > SWEEP_ABOVE) {
        for (const [id, entry] of entries) if (entry.expiresAt <= at) entries.delete(id);
      }
      const found = new Map<string, DeviceFacts | null>();
      const missing: string[] = [];
      for (const id of new Set(deviceIds)) {
        const entry = entries.get(id);
        if (entry && entry.expiresAt > at) found.set(id, entry.facts);
        else missing.push(id);
      }
      if (missing.length === 0) return found;
      const rows = await allTenants(prisma).device.findMany({
        where: { id: { in: missing } },
        select: { id: true, tenantId: true, profileId: true, labels: true },
      });
      const byId = new Map(rows.map((row) => [row.id, { tenantId: row.tenantId, profileId: row.profileId, labels: row.labels }]));
      for (const id of missing) {
        const facts = byId.get(id) ?? null;
        entries.set(id, { facts, expiresAt: at + ttlMs });
        found.set(id, facts);
      }
      return found;
    },
  };
}
