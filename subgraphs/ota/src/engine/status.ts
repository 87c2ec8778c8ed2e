import { finalRolloutStates, isOtaProgress, type OtaStatusReport } from '@ump/core';
import { forTenant } from '@ump/db';
import { TX_OPTIONS, type EngineContext, type Tx } from './context';
import { newEffects, type Effects } from './effects';
import { commandIds, deviceProgress } from './events';
import { issueUpdate, targetDevice } from './assign';
import { lockDevice, lockRollout } from './locks';
import { loadRollout, specOf, type RolloutRow } from './state';

/** Why a valid report changed nothing. */
export type IgnoredReport = 'stale' | 'unmatched' | 'unchanged' | 'unknown-device';

export type ReportOutcome =
  | { applied: false; reason: IgnoredReport }
  | { applied: true; rolloutId: string | null; effects: Effects };

type DeviceFirmwareRow = NonNullable<Awaited<ReturnType<Tx['deviceFirmware']['findUnique']>>>;

/**
 * Applies one device report in a transaction holding the device's lock and, when the device
 * has an assignment, its rollout's lock. The report answers the assignment when it names its
 * command id (or its target firmware by id, or by title and version); it is applied only when
 * it moves the assignment forward (isOtaProgress), so duplicates and out-of-order reports
 * change nothing. UPDATED makes the target current; FAILED below the retry limit re-issues
 * the command (attempt + 1). A report answering no assignment only records, on UPDATED with
 * a title and version, what the device runs. The caller publishes the effects after commit.
 */
export async function applyReport(ctx: EngineContext, report: OtaStatusReport): Promise<ReportOutcome> {
  const effects = newEffects();
  return forTenant(ctx.prisma, report.tenantId).$transaction(async (tx): Promise<ReportOutcome> => {
    await lockDevice(tx, report.deviceId);
    // The intake vouches for the tenant; a device deleted since (or a forged pair) is ignored.
    if (!(await tx.device.findUnique({ where: { id: report.deviceId }, select: { id: true } }))) return { applied: false, reason: 'unknown-device' };
    const read = () => tx.deviceFirmware.findUnique({ where: { deviceId: report.deviceId } });
    let firmware = await read();
    // Hold the lock of the rollout the assignment belongs to. Re-read after each wait: while
    // this waited, that rollout may have moved the assignment, or another rollout may have
    // taken the device (assignments hold rollout locks, not device locks); then lock that
    // one too, so the report is never applied under the wrong rollout's lock.
    let locked: string | null = null;
    while (firmware?.rolloutId && firmware.rolloutId !== locked) {
      locked = firmware.rolloutId;
      await lockRollout(tx, locked);
      firmware = await read();
    }
    if (firmware && (await answersAssignment(tx, firmware, report))) {
      if (!isOtaProgress(firmware.status, report.status)) return { applied: false, reason: 'stale' };
      const rolloutId = await applyToAssignment(tx, ctx, firmware, report, effects);
      return { applied: true, rolloutId, effects };
    }
    if (report.status !== 'UPDATED' || !report.title || !report.version) return { applied: false, reason: 'unmatched' };
    if (firmware?.currentTitle === report.title && firmware.currentVersion === report.version) return { applied: false, reason: 'unchanged' };
    await recordCurrent(tx, report, firmware);
    return { applied: true, rolloutId: null, effects };
  }, TX_OPTIONS);
}

async function answersAssignment(tx: Tx, firmware: DeviceFirmwareRow, report: OtaStatusReport): Promise<boolean> {
  if (!firmware.commandId || !firmware.targetFirmwareId) return false;
  if (report.commandId !== undefined) return report.commandId === firmware.commandId;
  if (report.firmwareId !== undefined) return report.firmwareId === firmware.targetFirmwareId;
  if (!report.title || !report.version) return false;
  const target = await tx.firmware.findUnique({ where: { id: firmware.targetFirmwareId }, select: { title: true, version: true } });
  return target?.title === report.title && target.version === report.version;
}

/** Applies a report to the device's assignment and mirrors it onto its RolloutDevice; returns the rollout to evaluate. */
async function applyToAssignment(tx: Tx, ctx: EngineContext, firmware: DeviceFirmwareRow, report: OtaStatusReport, effects: Effects): Promise<string | null> {
  const now = ctx.now();
  const target = (await tx.firmware.findUnique({ where: { id: firmware.targetFirmwareId! } }))!;
  const updated = report.status === 'UPDATED';
  await tx.deviceFirmware.update({
    where: { deviceId: firmware.deviceId },
    data: {
      status: report.status,
      statusReason: report.reason ?? null,
      progress: report.progress ?? (updated ? 100 : firmware.progress),
      reportedAt: new Date(report.at),
      ...(updated
        ? { currentFirmwareId: target.id, currentTitle: target.title, currentVersion: target.version, previousFirmwareId: firmware.currentFirmwareId }
        : {}),
    },
  });
  if (updated || report.status === 'FAILED') effects.windows.set(firmware.deviceId, null);
  if (!firmware.rolloutId) return null;

  const rollout = await loadRollout(tx, firmware.rolloutId);
  const device = await tx.rolloutDevice.findUnique({ where: { rolloutId_deviceId: { rolloutId: firmware.rolloutId, deviceId: firmware.deviceId } } });
  if (!rollout || !device || device.commandId !== firmware.commandId) return null;
  const rollingBack = device.status === 'ROLLING_BACK';
  const key = { rolloutId_deviceId: { rolloutId: rollout.id, deviceId: device.deviceId } };

  if (report.status === 'FAILED' && !rollingBack && (await retry(tx, ctx, rollout, device, report, effects))) return rollout.id;
  const final = updated || report.status === 'FAILED';
  const status = rollingBack ? (updated ? 'ROLLED_BACK' : report.status === 'FAILED' ? 'FAILED' : 'ROLLING_BACK') : report.status;
  // When the device says it got there (never later than now). KPI gates count its alerts from
  // its finish, and the rollout history attributes alerts to the firmware it ran: both compare
  // with alert times, which are the device's telemetry times, and may be earlier than when
  // this report got through the bus.
  const reportedAt = Math.min(report.at, now);
  await tx.rolloutDevice.update({
    where: key,
    data: {
      status,
      reason: report.status === 'FAILED' ? (rollingBack ? `rollback failed: ${report.reason ?? 'no reason given'}` : (report.reason ?? null)) : device.reason,
      ...(final ? { finishedAt: new Date(reportedAt) } : {}),
    },
  });
  effects.events.push(deviceProgress(rollout, { deviceId: device.deviceId, commandId: device.commandId, status: rollingBack ? status : report.status }, target, reportedAt));
  return rollout.id;
}

/** Re-issues a failed install while attempts remain and the rollout is live; false when it may not. */
async function retry(
  tx: Tx,
  ctx: EngineContext,
  rollout: RolloutRow,
  device: { deviceId: string; commandId: string; attempts: number },
  report: OtaStatusReport,
  effects: Effects,
): Promise<boolean> {
  if (finalRolloutStates.has(rollout.state)) return false;
  const spec = specOf(rollout);
  if (device.attempts >= spec.retry.maxAttempts) return false;
  const now = ctx.now();
  const attempt = device.attempts + 1;
  const commandId = commandIds.install(rollout.id, device.deviceId, attempt);
  // The failure is recorded as the event of the old command; the new one starts afresh.
  effects.events.push(deviceProgress(rollout, { deviceId: device.deviceId, commandId: device.commandId, status: 'FAILED' }, rollout.firmware, now));
  await tx.rolloutDevice.update({
    where: { rolloutId_deviceId: { rolloutId: rollout.id, deviceId: device.deviceId } },
    data: { status: 'ASSIGNED', attempts: attempt, commandId, reason: `retry after: ${report.reason ?? 'failure'}`, assignedAt: new Date(now), finishedAt: null },
  });
  await targetDevice(tx, rollout, { deviceId: device.deviceId, commandId }, rollout.firmware.id);
  const stage = spec.stages[Math.min(rollout.stageIndex, spec.stages.length - 1)]!;
  issueUpdate(ctx, rollout, { deviceId: device.deviceId, commandId }, rollout.firmware, stage.timeoutSeconds, effects, now);
  ctx.metrics.assignments.inc({ kind: 'retry' });
  return true;
}

/** Records what a device says it runs (no assignment answered): resolves the firmware id when the tenant has that package. */
async function recordCurrent(tx: Tx, report: OtaStatusReport, firmware: DeviceFirmwareRow | null): Promise<void> {
  const known = await tx.firmware.findUnique({
    where: { tenantId_title_version: { tenantId: report.tenantId, title: report.title!, version: report.version! } },
    select: { id: true },
  });
  const current = { currentTitle: report.title!, currentVersion: report.version!, currentFirmwareId: known?.id ?? null, reportedAt: new Date(report.at) };
  await tx.deviceFirmware.upsert({
    where: { deviceId: report.deviceId },
    create: { deviceId: report.deviceId, tenantId: report.tenantId, ...current },
    update: { ...current, previousFirmwareId: firmware?.currentFirmwareId ?? null },
  });
}
