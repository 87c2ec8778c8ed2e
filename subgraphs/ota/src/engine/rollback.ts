import type { EngineContext, Tx } from './context';
import type { Effects } from './effects';
import { commandIds, deviceProgress, otaCommand } from './events';
import { isFinalDevice } from './gates';
import { issueUpdate, targetDevice } from './assign';
import { specOf, type RolloutRow } from './state';

/**
 * Withdraws every unfinished assignment of the rollout: RolloutDevice CANCELLED, the device's
 * target reset to what it runs (when the assignment is still its current one), and after the
 * commit a CANCEL command, `device_progress` and the update window closed.
 */
export async function cancelUnfinished(tx: Tx, ctx: EngineContext, rollout: RolloutRow, effects: Effects, reason = 'rollout stopped'): Promise<number> {
  const now = ctx.now();
  const open = (await tx.rolloutDevice.findMany({ where: { rolloutId: rollout.id }, select: { deviceId: true, status: true, commandId: true } }))
    .filter((d) => !isFinalDevice(d.status) && d.status !== 'ROLLING_BACK');
  for (const device of open) {
    await tx.rolloutDevice.update({
      where: { rolloutId_deviceId: { rolloutId: rollout.id, deviceId: device.deviceId } },
      data: { status: 'CANCELLED', reason, finishedAt: new Date(now) },
    });
    const firmware = await tx.deviceFirmware.findUnique({ where: { deviceId: device.deviceId } });
    if (firmware?.commandId === device.commandId) {
      await tx.deviceFirmware.update({
        where: { deviceId: device.deviceId },
        data: { targetFirmwareId: firmware.currentFirmwareId, rolloutId: null, commandId: null, status: null, statusReason: null, progress: null },
      });
    }
    effects.windows.set(device.deviceId, null);
    const target = { tenantId: rollout.tenantId, deviceId: device.deviceId, rolloutId: rollout.id, commandId: commandIds.cancel(device.commandId) };
    effects.commands.push(otaCommand('CANCEL', target, rollout.firmware, now));
    effects.events.push(deviceProgress(rollout, { ...device, status: 'CANCELLED' }, rollout.firmware, now));
  }
  return open.length;
}

/**
 * Re-targets the rollout's UPDATED and FAILED devices to the firmware they ran before it
 * (RolloutDevice ROLLING_BACK, command `<rollout>:<device>:rollback`, an UPDATE command with
 * the previous firmware after the commit) and cancels unfinished assignments. A device with
 * no previous firmware, or which moved on to another rollout since, keeps its status and gets
 * the reason. The caller records the ROLLED_BACK transition.
 */
export async function rollbackDevices(tx: Tx, ctx: EngineContext, rollout: RolloutRow, effects: Effects): Promise<{ rollingBack: number; cancelled: number }> {
  const now = ctx.now();
  const cancelled = await cancelUnfinished(tx, ctx, rollout, effects, 'rolled back');
  const devices = await tx.rolloutDevice.findMany({ where: { rolloutId: rollout.id, status: { in: ['UPDATED', 'FAILED'] } }, orderBy: { deviceId: 'asc' } });
  const previousIds = [...new Set(devices.flatMap((d) => (d.previousFirmwareId ? [d.previousFirmwareId] : [])))];
  const previous = new Map((await tx.firmware.findMany({ where: { id: { in: previousIds } } })).map((f) => [f.id, f]));
  const spec = specOf(rollout);
  const timeoutSeconds = spec.stages[Math.min(rollout.stageIndex, spec.stages.length - 1)]!.timeoutSeconds;
  let rollingBack = 0;
  for (const device of devices) {
    const key = { rolloutId_deviceId: { rolloutId: rollout.id, deviceId: device.deviceId } };
    const firmware = device.previousFirmwareId ? previous.get(device.previousFirmwareId) : undefined;
    if (!firmware) {
      await tx.rolloutDevice.update({ where: key, data: { reason: 'no previous firmware' } });
      continue;
    }
    const current = await tx.deviceFirmware.findUnique({ where: { deviceId: device.deviceId }, select: { rolloutId: true } });
    if (current?.rolloutId && current.rolloutId !== rollout.id) {
      await tx.rolloutDevice.update({ where: key, data: { reason: 'moved on to another rollout' } });
      continue;
    }
    const commandId = commandIds.rollback(rollout.id, device.deviceId);
    await tx.rolloutDevice.update({ where: key, data: { status: 'ROLLING_BACK', commandId, reason: null, finishedAt: null, assignedAt: new Date(now) } });
    await targetDevice(tx, rollout, { deviceId: device.deviceId, commandId }, firmware.id);
    issueUpdate(ctx, rollout, { deviceId: device.deviceId, commandId }, { ...firmware }, timeoutSeconds, effects, now, 'ROLLING_BACK');
    ctx.metrics.assignments.inc({ kind: 'rollback' });
    rollingBack += 1;
  }
  return { rollingBack, cancelled };
}
