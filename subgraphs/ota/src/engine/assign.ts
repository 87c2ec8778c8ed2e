import { finalOtaStatuses, finalRolloutStates, stageReach, uuidv7, type RolloutSpec } from '@ump/core';
import type { EngineContext, Tx } from './context';
import type { Effects } from './effects';
import { commandIds, deviceProgress, otaCommand } from './events';
import type { RolloutRow } from './state';

// Candidates are checked for other rollouts in chunks, so a large fleet is never read whole.
const CHUNK = 500;

/** What an assignment pass found. */
export interface AssignOutcome {
  /** Devices the rollout targets now. */
  targeted: number;
  /** Devices newly assigned by this pass. */
  assigned: number;
  /** True when the stage's reach is met or no targeted device is left to assign. */
  reachDone: boolean;
}

/**
 * Assigns unassigned targeted devices until the current stage's reach (of the devices
 * targeted now) is met: a RolloutDevice row (ASSIGNED, attempt 1), the device's target in
 * DeviceFirmware, and after the commit the update window, the UPDATE command and
 * `device_progress`. A device busy in another rollout that is not final (its assignment
 * there not final either) is skipped for now. Rows are inserted with ON CONFLICT DO
 * NOTHING on (rolloutId, deviceId), so a device is never assigned twice by this rollout,
 * whatever crashed or raced before.
 */
export async function assignStage(tx: Tx, ctx: EngineContext, rollout: RolloutRow, spec: RolloutSpec, targets: string[], effects: Effects): Promise<AssignOutcome> {
  const now = ctx.now();
  const existing = await tx.rolloutDevice.findMany({ where: { rolloutId: rollout.id }, select: { deviceId: true } });
  const taken = new Set(existing.map((row) => row.deviceId));
  const reach = stageReach(spec.stages, rollout.stageIndex, targets.length);
  const candidates = targets.filter((id) => !taken.has(id));
  let need = reach - targets.filter((id) => taken.has(id)).length;
  let assigned = 0;
  let checked = 0;
  const stage = spec.stages[Math.min(rollout.stageIndex, spec.stages.length - 1)]!;
  while (need > 0 && checked < candidates.length) {
    const chunk = candidates.slice(checked, checked + CHUNK);
    checked += chunk.length;
    const firmwareOf = new Map((await tx.deviceFirmware.findMany({ where: { deviceId: { in: chunk } } })).map((row) => [row.deviceId, row]));
    const busy = await busyDevices(tx, rollout.id, [...firmwareOf.values()]);
    const picked = chunk.filter((id) => !busy.has(id)).slice(0, need);
    if (picked.length === 0) continue;
    const rows = await tx.rolloutDevice.createManyAndReturn({
      data: picked.map((deviceId) => ({
        id: uuidv7(now), rolloutId: rollout.id, tenantId: rollout.tenantId, deviceId, stageIndex: rollout.stageIndex, status: 'ASSIGNED', attempts: 1,
        commandId: commandIds.install(rollout.id, deviceId, 1), previousFirmwareId: firmwareOf.get(deviceId)?.currentFirmwareId ?? null, assignedAt: new Date(now),
      })),
      skipDuplicates: true,
      select: { deviceId: true, commandId: true },
    });
    for (const row of rows) {
      await targetDevice(tx, rollout, row, rollout.firmware.id);
      issueUpdate(ctx, rollout, row, rollout.firmware, stage.timeoutSeconds, effects, now);
      ctx.metrics.assignments.inc({ kind: 'assign' });
    }
    need -= rows.length;
    assigned += rows.length;
  }
  return { targeted: targets.length, assigned, reachDone: need <= 0 || checked >= candidates.length };
}

/** Devices whose DeviceFirmware names another rollout that is not final, with an assignment not final. */
async function busyDevices(tx: Tx, rolloutId: string, rows: Array<{ deviceId: string; rolloutId: string | null; status: string | null }>): Promise<Set<string>> {
  const elsewhere = rows.filter((row) => row.rolloutId && row.rolloutId !== rolloutId && !finalOtaStatuses.has(row.status ?? ''));
  if (elsewhere.length === 0) return new Set();
  const others = await tx.rollout.findMany({ where: { id: { in: [...new Set(elsewhere.map((row) => row.rolloutId!))] } }, select: { id: true, state: true } });
  const live = new Set(others.filter((r) => !finalRolloutStates.has(r.state)).map((r) => r.id));
  return new Set(elsewhere.filter((row) => live.has(row.rolloutId!)).map((row) => row.deviceId));
}

/** Points the device's DeviceFirmware at a firmware for a command of this rollout (created when missing). */
export async function targetDevice(tx: Tx, rollout: RolloutRow, device: { deviceId: string; commandId: string }, firmwareId: string): Promise<void> {
  const target = { targetFirmwareId: firmwareId, rolloutId: rollout.id, commandId: device.commandId, status: null, statusReason: null, progress: null, reportedAt: null };
  await tx.deviceFirmware.upsert({
    where: { deviceId: device.deviceId },
    create: { deviceId: device.deviceId, tenantId: rollout.tenantId, ...target },
    update: target,
  });
}

/** Queues the update window, the UPDATE command and `device_progress` of one assignment. */
export function issueUpdate(
  ctx: EngineContext,
  rollout: RolloutRow,
  device: { deviceId: string; commandId: string },
  firmware: RolloutRow['firmware'],
  timeoutSeconds: number,
  effects: Effects,
  now: number,
  status = 'ASSIGNED',
): void {
  effects.windows.set(device.deviceId, { rolloutId: rollout.id, ttlMs: timeoutSeconds * 1000 });
  effects.commands.push(otaCommand('UPDATE', { tenantId: rollout.tenantId, deviceId: device.deviceId, rolloutId: rollout.id, commandId: device.commandId }, firmware, now));
  effects.events.push(deviceProgress(rollout, { ...device, status }, firmware, now));
}
