import { allTenants } from '@ump/db';
import type { EngineContext } from './context';
import { flushEffects, newEffects } from './effects';
import { otaCommand } from './events';

/**
 * Re-publishes the UPDATE command of every assignment still waiting for its device's first
 * report (ASSIGNED, or ROLLING_BACK) that was issued at or before `olderThan`, in a live or
 * rolled-back rollout, and still current in DeviceFirmware. The command id is the same, so a
 * device that already had it does nothing new: this repairs a crash between a commit and its
 * publish. Resolves with the number re-published.
 */
export async function republishWaiting(ctx: EngineContext, olderThan: number): Promise<number> {
  // Across tenants: the engine serves them all; every command carries its row's own tenant.
  const db = allTenants(ctx.prisma);
  const waiting = await db.rolloutDevice.findMany({
    where: { status: { in: ['ASSIGNED', 'ROLLING_BACK'] }, assignedAt: { lte: new Date(olderThan) }, rollout: { state: { in: ['RUNNING', 'PAUSED', 'ROLLED_BACK'] } } },
    select: { tenantId: true, rolloutId: true, deviceId: true, commandId: true },
    orderBy: { assignedAt: 'asc' },
    take: 10_000,
  });
  if (waiting.length === 0) return 0;
  const current = await db.deviceFirmware.findMany({ where: { deviceId: { in: waiting.map((w) => w.deviceId) } }, select: { deviceId: true, commandId: true, targetFirmwareId: true, status: true } });
  const byDevice = new Map(current.map((row) => [row.deviceId, row]));
  const firmwareIds = [...new Set(current.flatMap((row) => (row.targetFirmwareId ? [row.targetFirmwareId] : [])))];
  const firmware = new Map((await db.firmware.findMany({ where: { id: { in: firmwareIds } } })).map((f) => [f.id, f]));
  const effects = newEffects();
  const now = ctx.now();
  for (const w of waiting) {
    const row = byDevice.get(w.deviceId);
    const target = row?.targetFirmwareId ? firmware.get(row.targetFirmwareId) : undefined;
    // Only a command the device has not answered yet: a report moves on the status.
    if (!row || row.commandId !== w.commandId || row.status !== null || !target) continue;
    effects.commands.push(otaCommand('UPDATE', w, target, now));
  }
  await flushEffects(ctx, effects);
  return effects.commands.length;
}
