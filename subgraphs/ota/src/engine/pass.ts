import { forTenant } from '@ump/db';
import { TX_OPTIONS, type EngineContext, type Tx } from './context';
import { flushEffects, newEffects, type Effects } from './effects';
import { deviceProgress } from './events';
import { assignStage } from './assign';
import { installFailureGate, installSuccessGate, stageFinishedAt, timedOut, type StageDevice } from './gates';
import { kpiGates } from './kpi-gates';
import { tryLockEvaluation } from './locks';
import { cancelUnfinished, rollbackDevices } from './rollback';
import { advanceStage, loadRollout, recordGates, specOf, transition, type RolloutRow } from './state';
import { targetedDeviceIds } from './targets';

/** What one evaluation did. */
export type PassOutcome = 'not-running' | 'locked' | 'evaluated';

/**
 * One evaluation of a rollout: in a transaction holding the rollout's advisory lock, re-reads
 * the rollout and runs {@link runPass}; publishes what was decided after the commit. Skipped
 * ('locked') when another evaluation, on any engine, has the rollout's turn: that one decides
 * on everything committed so far (see tryLockEvaluation).
 */
export async function evaluateRollout(ctx: EngineContext, rolloutId: string): Promise<PassOutcome> {
  // The only unscoped read: which tenant the rollout belongs to. Everything else is scoped.
  const head = await ctx.prisma.rollout.findUnique({ where: { id: rolloutId }, select: { tenantId: true, state: true } });
  if (!head || head.state !== 'RUNNING') return 'not-running';
  const effects = newEffects();
  const outcome = await forTenant(ctx.prisma, head.tenantId).$transaction(async (tx): Promise<PassOutcome> => {
    if (!(await tryLockEvaluation(tx, rolloutId))) return 'locked';
    const rollout = await loadRollout(tx, rolloutId);
    if (!rollout || rollout.state !== 'RUNNING') return 'not-running';
    await runPass(tx, ctx, rollout, effects);
    return 'evaluated';
  }, TX_OPTIONS);
  await flushEffects(ctx, effects);
  return outcome;
}

const deviceColumns = { deviceId: true, status: true, commandId: true, assignedAt: true, finishedAt: true } as const;

/**
 * The decisions of one pass over a RUNNING rollout, all from the database under the lock:
 * assign up to the stage's reach; time out devices past the stage timeout; abort on the
 * install-failure gate; once the stage is complete and observed long enough, judge the
 * install-success and KPI gates and advance, wait for approval, succeed, fail, roll back,
 * abort or pause.
 */
export async function runPass(tx: Tx, ctx: EngineContext, rollout: RolloutRow, effects: Effects): Promise<void> {
  const now = ctx.now();
  const spec = specOf(rollout);
  const stage = spec.stages[rollout.stageIndex];
  if (!stage) return;
  const targets = await targetedDeviceIds(tx, spec.target, rollout.firmware.profileIds);
  const assignment = await assignStage(tx, ctx, rollout, spec, targets, effects);

  let devices: StageDevice[] = await tx.rolloutDevice.findMany({ where: { rolloutId: rollout.id, stageIndex: rollout.stageIndex }, select: deviceColumns });
  const late = timedOut(devices, stage.timeoutSeconds, now);
  if (late.length > 0) {
    await expire(tx, ctx, rollout, late, effects);
    devices = await tx.rolloutDevice.findMany({ where: { rolloutId: rollout.id, stageIndex: rollout.stageIndex }, select: deviceColumns });
  }

  const failure = installFailureGate(devices, spec.gates);
  if (failure) {
    await recordGates(tx, rollout, [failure], now, effects);
    count(ctx, [failure]);
    await cancelUnfinished(tx, ctx, rollout, effects, 'rollout aborted');
    await transition(tx, rollout, { to: 'ABORTED', actorId: null, reason: `install failures: ${failure.evidence.failed} of ${failure.evidence.final}`, now }, effects);
    return;
  }

  // An empty target waits for devices rather than passing stages with nobody.
  if (targets.length === 0 || !assignment.reachDone) return;
  const finishedAt = stageFinishedAt(devices);
  if (finishedAt === null || now < finishedAt + spec.gates.observeSeconds * 1000) return;

  const success = installSuccessGate(devices, spec.gates);
  const verdicts = [success];
  if (success.passed) {
    const updated = await tx.rolloutDevice.findMany({ where: { rolloutId: rollout.id, status: 'UPDATED' }, select: { deviceId: true, finishedAt: true } });
    const updatedIds = new Set(updated.map((d) => d.deviceId));
    const stageStart = rollout.stageStartedAt?.getTime() ?? now;
    verdicts.push(...(await kpiGates(tx, ctx, {
      tenantId: rollout.tenantId,
      gates: spec.gates,
      updated: updated.map((d) => ({ deviceId: d.deviceId, from: d.finishedAt?.getTime() ?? stageStart })),
      baseline: targets.filter((id) => !updatedIds.has(id)).map((deviceId) => ({ deviceId, from: stageStart })),
      now,
    })));
  }
  await recordGates(tx, rollout, verdicts, now, effects);
  count(ctx, verdicts);

  if (!success.passed) {
    await transition(tx, rollout, { to: 'FAILED', actorId: null, reason: `install success ${success.evidence.updated} of ${success.evidence.assigned} below ${spec.gates.minSuccessRatio}`, now }, effects);
    return;
  }
  const failedKpi = verdicts.filter((v) => !v.passed).map((v) => v.gate);
  if (failedKpi.length > 0) {
    const reason = `KPI gate failed: ${failedKpi.join(', ')}`;
    if (spec.gates.onKpiFailure === 'PAUSE') {
      await transition(tx, rollout, { to: 'PAUSED', actorId: null, reason, now }, effects);
    } else if (spec.gates.onKpiFailure === 'ABORT') {
      await cancelUnfinished(tx, ctx, rollout, effects, 'rollout aborted');
      await transition(tx, rollout, { to: 'ABORTED', actorId: null, reason, now }, effects);
    } else {
      await rollbackDevices(tx, ctx, rollout, effects);
      await transition(tx, rollout, { to: 'ROLLED_BACK', actorId: null, reason, now }, effects);
    }
    return;
  }

  const hasNext = rollout.stageIndex + 1 < spec.stages.length;
  if (!hasNext) {
    await transition(tx, rollout, { to: 'SUCCEEDED', actorId: null, reason: 'all stages passed', now, patch: { stageIndex: spec.stages.length } }, effects);
  } else if (stage.requireApproval) {
    await transition(tx, rollout, { to: 'PAUSED', actorId: null, reason: 'awaiting approval', now, patch: { awaitingApproval: true } }, effects);
  } else {
    await advanceStage(tx, rollout, { actorId: null, reason: null, now }, effects);
    await assignStage(tx, ctx, rollout, spec, targets, effects);
  }
}

/** Marks devices past their stage timeout FAILED ("timed out"), in the rollout and in DeviceFirmware. */
async function expire(tx: Tx, ctx: EngineContext, rollout: RolloutRow, late: StageDevice[], effects: Effects): Promise<void> {
  const now = ctx.now();
  for (const device of late) {
    await tx.rolloutDevice.update({
      where: { rolloutId_deviceId: { rolloutId: rollout.id, deviceId: device.deviceId } },
      data: { status: 'FAILED', reason: 'timed out', finishedAt: new Date(now) },
    });
    await tx.deviceFirmware.updateMany({ where: { deviceId: device.deviceId, commandId: device.commandId }, data: { status: 'FAILED', statusReason: 'timed out' } });
    effects.windows.set(device.deviceId, null);
    effects.events.push(deviceProgress(rollout, { ...device, status: 'FAILED' }, rollout.firmware, now));
  }
}

const count = (ctx: EngineContext, verdicts: Array<{ gate: string; passed: boolean }>) => {
  for (const v of verdicts) ctx.metrics.gateResults.inc({ gate: v.gate, passed: String(v.passed) });
};
