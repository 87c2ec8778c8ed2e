// Fixtures for the OTA subgraph's tests, composed step by step: tenant → profiles and
// devices → firmware → rollout → its devices, transitions and gate results.
import { createHash } from 'node:crypto';
import { rolloutSpecSchema, uuidv7, type RolloutState } from '@ump/core';
import type { PrismaClient } from '@ump/db';

/** A tenant with two profiles (`profile` has the first `devices` devices, `other` one more). */
export async function seedTenant(prisma: PrismaClient, opts: { devices?: number } = {}) {
  const tenant = await prisma.tenant.create({ data: { id: uuidv7(), name: `tenant-${process.pid}-${uuidv7()}` } });
  const profile = await prisma.deviceProfile.create({ data: { id: uuidv7(), tenantId: tenant.id, name: 'thermostat' } });
  const other = await prisma.deviceProfile.create({ data: { id: uuidv7(), tenantId: tenant.id, name: 'gateway' } });
  const devices = [];
  const start = Date.now(); // ids a millisecond apart sort in creation order
  for (let i = 0; i < (opts.devices ?? 4); i++) {
    devices.push(
      await prisma.device.create({
        data: { id: uuidv7(start + i), tenantId: tenant.id, name: `device-${i}`, profileId: profile.id, labels: i % 2 === 0 ? ['site=berlin'] : [] },
      }),
    );
  }
  const stranger = await prisma.device.create({ data: { id: uuidv7(), tenantId: tenant.id, name: 'gw-0', profileId: other.id } });
  return { tenant, profile, other, devices, device: devices[0]!, stranger };
}
export type Seed = Awaited<ReturnType<typeof seedTenant>>;

export const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A firmware row (no artifact behind it: for rollout tests). */
export function seedFirmware(prisma: PrismaClient, seed: Seed, opts: { title?: string; version?: string; profileIds?: string[] } = {}) {
  const id = uuidv7();
  return prisma.firmware.create({
    data: {
      id,
      tenantId: seed.tenant.id,
      title: opts.title ?? 'thermostat-main',
      version: opts.version ?? `1.0.${Math.floor(Math.random() * 1e9)}`,
      profileIds: opts.profileIds ?? [],
      size: 3,
      sha256: sha256Of(Buffer.from('abc')),
      storageKey: `${seed.tenant.id}/${id}`,
      source: 'UPLOAD',
    },
  });
}

/** A rollout row as the engine would have left it, with its spec parsed like createRollout does. */
export function seedRollout(
  prisma: PrismaClient,
  seed: Seed,
  firmwareId: string,
  opts: { name?: string; spec?: unknown; state?: RolloutState; stageIndex?: number; awaitingApproval?: boolean } = {},
) {
  const spec = rolloutSpecSchema.parse(opts.spec ?? { target: { profileId: seed.profile.id }, stages: [{ percent: 25 }, { percent: 100 }] });
  return prisma.rollout.create({
    data: {
      id: uuidv7(),
      tenantId: seed.tenant.id,
      name: opts.name ?? `rollout-${uuidv7()}`,
      firmwareId,
      spec,
      state: opts.state ?? 'DRAFT',
      stageIndex: opts.stageIndex ?? 0,
      awaitingApproval: opts.awaitingApproval ?? false,
      startedAt: opts.state && opts.state !== 'DRAFT' ? new Date() : null,
    },
  });
}

/** RolloutDevice rows: one per `[deviceId, status]`, in order (stage 0). */
export async function seedRolloutDevices(prisma: PrismaClient, seed: Seed, rolloutId: string, rows: Array<[string, string]>) {
  // A millisecond apart, so their ids (the listing order) sort as given: two ids made within
  // one millisecond sort at random.
  const start = Date.now();
  for (const [i, [deviceId, status]] of rows.entries()) {
    await prisma.rolloutDevice.create({
      data: { id: uuidv7(start + i), rolloutId, tenantId: seed.tenant.id, deviceId, stageIndex: 0, status, commandId: uuidv7(), finishedAt: status === 'UPDATED' ? new Date() : null },
    });
  }
}
