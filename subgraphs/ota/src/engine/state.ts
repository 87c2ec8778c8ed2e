import { finalRolloutStates, rolloutSpecSchema, uuidv7, type RolloutSpec, type RolloutState } from '@ump/core';
import type { Prisma } from '@ump/db';
import type { Tx } from './context';
import type { Effects } from './effects';
import { rolloutEvent, type FirmwareRef } from './events';

/** A rollout row with its firmware, as the engine reads it under the lock. */
export interface RolloutRow {
  id: string;
  tenantId: string;
  state: string;
  stageIndex: number;
  stageStartedAt: Date | null;
  awaitingApproval: boolean;
  firmware: FirmwareRef & { profileIds: string[] };
  spec: Prisma.JsonValue;
}

/** Reads the rollout (of the transaction's tenant) with its firmware; null when there is none. */
export async function loadRollout(tx: Tx, rolloutId: string): Promise<RolloutRow | null> {
  return tx.rollout.findUnique({
    where: { id: rolloutId },
    select: {
      id: true, tenantId: true, state: true, stageIndex: true, stageStartedAt: true, awaitingApproval: true, spec: true,
      firmware: { select: { id: true, title: true, version: true, size: true, sha256: true, profileIds: true } },
    },
  });
}

/** The rollout's spec with defaults applied; throws a ZodError for a spec that is not one. */
export const specOf = (rollout: Pick<RolloutRow, 'spec'>): RolloutSpec => rolloutSpecSchema.parse(rollout.spec);

/** How a transition is recorded. */
export interface TransitionInput {
  to: RolloutState;
  /** A user id, or null when the engine decided. */
  actorId: string | null;
  reason: string | null;
  now: number;
  /** Other columns changed with the state (stage, approval flag, start times). */
  patch?: Prisma.RolloutUpdateInput;
}

/**
 * Changes the rollout's state, records the transition in the same transaction and queues its
 * `state_changed` event. Final states stamp `finishedAt`. Mutates `rollout` to the new state.
 */
export async function transition(tx: Tx, rollout: RolloutRow, input: TransitionInput, effects: Effects): Promise<void> {
  const from = rollout.state;
  const at = new Date(input.now);
  const updated = await tx.rollout.update({
    where: { id: rollout.id },
    data: { ...input.patch, state: input.to, ...(finalRolloutStates.has(input.to) ? { finishedAt: at, awaitingApproval: false } : {}) },
    select: { state: true, stageIndex: true, stageStartedAt: true, awaitingApproval: true },
  });
  Object.assign(rollout, updated);
  const id = uuidv7(input.now);
  await tx.rolloutTransition.create({
    data: { id, rolloutId: rollout.id, tenantId: rollout.tenantId, fromState: from, toState: input.to, stageIndex: rollout.stageIndex, actorId: input.actorId, reason: input.reason, at },
  });
  effects.events.push(rolloutEvent(rollout, 'state_changed', id, input.now));
}

/** A gate's verdict and what it was based on. */
export interface GateVerdict {
  gate: 'INSTALL_SUCCESS' | 'INSTALL_FAILURE' | 'ALERT_RATE' | 'METRIC' | 'ONLINE' | 'APPROVAL';
  passed: boolean;
  evidence: Record<string, unknown>;
}

/** Records verdicts for the rollout's current stage and queues their `gate_evaluated` events. */
export async function recordGates(tx: Tx, rollout: RolloutRow, verdicts: GateVerdict[], now: number, effects: Effects): Promise<void> {
  for (const verdict of verdicts) {
    const id = uuidv7(now);
    await tx.rolloutGateResult.create({
      data: {
        id, rolloutId: rollout.id, tenantId: rollout.tenantId, stageIndex: rollout.stageIndex, gate: verdict.gate, passed: verdict.passed,
        evidence: verdict.evidence as Prisma.InputJsonObject, at: new Date(now),
      },
    });
    effects.events.push(rolloutEvent(rollout, 'gate_evaluated', id, now, { gate: verdict.gate, passed: verdict.passed }));
  }
}

/** Moves to the next stage (RUNNING, awaiting nothing) and queues `stage_started`. */
export async function advanceStage(tx: Tx, rollout: RolloutRow, input: Omit<TransitionInput, 'to' | 'patch'>, effects: Effects): Promise<void> {
  const stageIndex = rollout.stageIndex + 1;
  const patch = { stageIndex, stageStartedAt: new Date(input.now), awaitingApproval: false };
  if (rollout.state !== 'RUNNING') {
    await transition(tx, rollout, { ...input, to: 'RUNNING', patch }, effects);
  } else {
    const updated = await tx.rollout.update({ where: { id: rollout.id }, data: patch, select: { stageIndex: true, stageStartedAt: true, awaitingApproval: true } });
    Object.assign(rollout, updated);
  }
  effects.events.push(rolloutEvent(rollout, 'stage_started', `${rollout.id}:stage:${stageIndex}`, input.now));
}
