import { finalOtaStatuses } from '@ump/core';
import type { PrismaClient } from '@ump/db';
import type { DeviceCredential } from '../credentials';
import { updateMessage, type OtaUpdateMessage } from './protocol';

type Scope = Pick<DeviceCredential, 'tenantId' | 'deviceId'>;

/**
 * The device's pending assignment as an UPDATE message, or null. Pending: its
 * device_firmware row has a commandId and a target firmware, and no final status (UPDATED,
 * FAILED) yet. Read-only (the OTA subgraph owns both tables), uncached so a new assignment
 * is visible to the very next poll: two primary-key reads. A row or firmware of another
 * tenant counts as none. Rejects on a database error.
 */
export async function readPendingAssignment(prisma: PrismaClient, { tenantId, deviceId }: Scope): Promise<OtaUpdateMessage | null> {
  const row = await prisma.deviceFirmware.findUnique({
    where: { deviceId },
    select: { tenantId: true, targetFirmwareId: true, commandId: true, status: true },
  });
  if (!row || row.tenantId !== tenantId || !row.commandId || !row.targetFirmwareId) return null;
  if (row.status !== null && finalOtaStatuses.has(row.status)) return null;
  const firmware = await prisma.firmware.findFirst({
    where: { id: row.targetFirmwareId, tenantId },
    select: { id: true, title: true, version: true, size: true, sha256: true },
  });
  return firmware ? updateMessage(row.commandId, firmware) : null;
}
