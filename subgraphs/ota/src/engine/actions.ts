import { badInput, notFound, requireTenant, type Caller } from '@ump/core';
import { forTenant } from '@ump/db';
import { z } from 'zod';
import { TX_OPTIONS, type EngineContext, type Tx } from './context';
import { flushEffects, newEffects, type Effects } from './effects';
import { rolloutEvent } from './events';
import { assignStage } from './assign';
import { lockRollout } from './locks';
import { cancelUnfinished, rollbackDevices } from './rollback';
import { advanceStage, loadRollout, recordGates, specOf, transition, type RolloutRow } from './state';
import { targetedDeviceIds } from './targets';
import type { ActionInput, RolloutActions } from './types';

const uuid = z.string().uuid();

/** What an action's body gets: the locked rollout of the caller's tenant and who asked. */
interface ActionRun {
  tx: Tx;
  rollout: RolloutRow;
  actorId: string | null;
  reason: string | null;
  now: number;
  effects: Effects;
}

// A transition records a user id: the user, or the API key acting for the tenant.
const actorOf = (caller: Caller) => (caller.kind === 'user' ? caller.userId : caller.apiKeyId);

/**
 * The operator actions (see RolloutActions). Each requires OPERATOR in a tenant (FORBIDDEN /
 * UNAUTHENTICATED otherwise), waits for the rollout's lock, reads it through the caller's
 * tenant scope (another tenant's rollout is NOT_FOUND), checks its state (BAD_USER_INPUT
 * naming it), and publishes what it decided after the commit. `onChanged` is told of a
 * rollout worth evaluating at once (resumed).
 */
export function createRolloutActions(ctx: EngineContext, onChanged: (rolloutId: string) => void = () => undefined): RolloutActions {
  const run = async (input: ActionInput, action: string, body: (run: ActionRun) => Promise<void>) => {
    const { tenantId, caller } = requireTenant(input.identity, 'OPERATOR', `${action} rollouts`);
    if (!uuid.safeParse(input.rolloutId).success) throw notFound('Rollout', 'id');
    const effects = newEffects();
    await forTenant(ctx.prisma, tenantId).$transaction(async (tx) => {
      await lockRollout(tx, input.rolloutId);
      const rollout = await loadRollout(tx, input.rolloutId);
      if (!rollout) throw notFound('Rollout', 'id');
      await body({ tx, rollout, actorId: actorOf(caller), reason: input.reason ?? null, now: ctx.now(), effects });
    }, TX_OPTIONS);
    await flushEffects(ctx, effects);
  };
  const wrongState = (rollout: RolloutRow, allowed: string) => badInput('id', `rollout is ${rollout.state}; only ${allowed}`);
  const awaiting = (rollout: RolloutRow) => rollout.state === 'PAUSED' && rollout.awaitingApproval;

  const assignCurrent = async (r: ActionRun) => {
    const spec = specOf(r.rollout);
    const targets = await targetedDeviceIds(r.tx, spec.target, r.rollout.firmware.profileIds);
    await assignStage(r.tx, ctx, r.rollout, spec, targets, r.effects);
  };

  return {
    start: (input) =>
      run(input, 'start', async (r) => {
        if (r.rollout.state !== 'DRAFT') throw wrongState(r.rollout, 'a DRAFT rollout can be started');
        specOf(r.rollout);
        const at = new Date(r.now);
        await transition(r.tx, r.rollout, { to: 'RUNNING', actorId: r.actorId, reason: r.reason, now: r.now, patch: { stageIndex: 0, startedAt: at, stageStartedAt: at } }, r.effects);
        r.effects.events.push(rolloutEvent(r.rollout, 'stage_started', `${r.rollout.id}:stage:0`, r.now));
        await assignCurrent(r);
      }),

    pause: (input) =>
      run(input, 'pause', async (r) => {
        if (r.rollout.state !== 'RUNNING') throw wrongState(r.rollout, 'a RUNNING rollout can be paused');
        await transition(r.tx, r.rollout, { to: 'PAUSED', actorId: r.actorId, reason: r.reason, now: r.now }, r.effects);
      }),

    resume: async (input) => {
      await run(input, 'resume', async (r) => {
        if (r.rollout.state !== 'PAUSED' || r.rollout.awaitingApproval) {
          throw wrongState(r.rollout, 'a PAUSED rollout not awaiting approval can be resumed (approve or reject one that awaits approval)');
        }
        await transition(r.tx, r.rollout, { to: 'RUNNING', actorId: r.actorId, reason: r.reason, now: r.now }, r.effects);
      });
      onChanged(input.rolloutId);
    },

    approve: (input) =>
      run(input, 'approve', async (r) => {
        if (!awaiting(r.rollout)) throw wrongState(r.rollout, 'a rollout awaiting approval can be approved');
        await recordGates(r.tx, r.rollout, [{ gate: 'APPROVAL', passed: true, evidence: { by: r.actorId, reason: r.reason } }], r.now, r.effects);
        ctx.metrics.gateResults.inc({ gate: 'APPROVAL', passed: 'true' });
        await advanceStage(r.tx, r.rollout, { actorId: r.actorId, reason: r.reason ?? 'approved', now: r.now }, r.effects);
        await assignCurrent(r);
      }),

    reject: (input) =>
      run(input, 'reject', async (r) => {
        if (!awaiting(r.rollout)) throw wrongState(r.rollout, 'a rollout awaiting approval can be rejected');
        await recordGates(r.tx, r.rollout, [{ gate: 'APPROVAL', passed: false, evidence: { by: r.actorId, reason: r.reason } }], r.now, r.effects);
        ctx.metrics.gateResults.inc({ gate: 'APPROVAL', passed: 'false' });
        await cancelUnfinished(r.tx, ctx, r.rollout, r.effects, 'rollout rejected');
        await transition(r.tx, r.rollout, { to: 'ABORTED', actorId: r.actorId, reason: r.reason ?? 'promotion rejected', now: r.now }, r.effects);
      }),

    abort: (input) =>
      run(input, 'abort', async (r) => {
        if (r.rollout.state !== 'RUNNING' && r.rollout.state !== 'PAUSED') throw wrongState(r.rollout, 'a RUNNING or PAUSED rollout can be aborted');
        await cancelUnfinished(r.tx, ctx, r.rollout, r.effects, 'rollout aborted');
        await transition(r.tx, r.rollout, { to: 'ABORTED', actorId: r.actorId, reason: r.reason, now: r.now }, r.effects);
      }),

    rollback: (input) =>
      run(input, 'roll back', async (r) => {
        if (!['RUNNING', 'PAUSED', 'SUCCEEDED', 'FAILED', 'ABORTED'].includes(r.rollout.state)) {
          throw wrongState(r.rollout, 'a started rollout (RUNNING, PAUSED, SUCCEEDED, FAILED or ABORTED) can be rolled back');
        }
        await rollbackDevices(r.tx, ctx, r.rollout, r.effects);
        await transition(r.tx, r.rollout, { to: 'ROLLED_BACK', actorId: r.actorId, reason: r.reason, now: r.now }, r.effects);
      }),

    cancel: (input) =>
      run(input, 'cancel', async (r) => {
        if (r.rollout.state !== 'DRAFT') throw wrongState(r.rollout, 'a DRAFT rollout can be cancelled');
        await transition(r.tx, r.rollout, { to: 'CANCELLED', actorId: r.actorId, reason: r.reason, now: r.now }, r.effects);
      }),
  };
}
