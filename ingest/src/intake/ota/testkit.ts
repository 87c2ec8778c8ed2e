// Test support for the OTA tests (not a test itself): firmware in the database and in a
// file artifact store in a temp folder, assignments as the OTA subgraph would write them.
// Composes with ../testkit: world → device → firmware → assignment → intake.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createFileArtifactStore, type ArtifactStore } from '@ump/core';
import type { PrismaClient } from '@ump/db';

/** A file artifact store in a fresh temp folder. */
export async function createTempArtifacts(): Promise<{ artifacts: ArtifactStore; remove(): Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'ump-intake-ota-'));
  return { artifacts: createFileArtifactStore(root), remove: () => rm(root, { recursive: true, force: true }) };
}

export interface TestFirmware {
  id: string;
  tenantId: string;
  title: string;
  version: string;
  size: number;
  sha256: string;
  bytes: Buffer;
}

/** A firmware row of `tenantId` and its bytes (random, `size` of them) under `${tenantId}/${id}`. */
let firmwareCount = 0;

export async function addFirmware(
  prisma: PrismaClient,
  artifacts: ArtifactStore,
  tenantId: string,
  { size = 10_000, title = 'sensor-fw' }: { size?: number; title?: string } = {},
): Promise<TestFirmware> {
  const bytes = randomBytes(size);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const id = randomUUID();
  const storageKey = `${tenantId}/${id}`;
  await artifacts.put(storageKey, Readable.from([bytes]), { expectedSha256: sha256 });
  // A counter, not only chance: two random minors in one tenant collided about once in a hundred runs.
  const version = `1.${++firmwareCount}.${randomBytes(2).readUInt16BE()}`;
  await prisma.firmware.create({ data: { id, tenantId, title, version, size, sha256, storageKey, source: 'UPLOAD' } });
  return { id, tenantId, title, version, size, sha256, bytes };
}

/** Writes the device's device_firmware row as the OTA subgraph does on an assignment (upsert). */
export async function assign(
  prisma: PrismaClient,
  device: { tenantId: string; deviceId: string },
  fields: { targetFirmwareId?: string | null; currentFirmwareId?: string | null; commandId?: string | null; status?: string | null },
): Promise<void> {
  await prisma.deviceFirmware.upsert({
    where: { deviceId: device.deviceId },
    create: { deviceId: device.deviceId, tenantId: device.tenantId, ...fields },
    update: fields,
  });
}

/** A second tenant, for isolation tests. */
export async function addTenant(prisma: PrismaClient): Promise<string> {
  const tenant = await prisma.tenant.create({ data: { name: `other-${randomBytes(4).toString('hex')}`, plan: 'free' } });
  return tenant.id;
}

/** A fresh command id, as the OTA engine makes them. */
export const newCommandId = () => `cmd-${randomUUID()}`;
