import { ErrorCode, updateWindowKey, uuidv7, type Identity } from '@ump/core';
import { eventually } from '@ump/core/src/testing/eventually';
import { addDevice, rolloutDevices, seedFleet, useEngineTests, type Harness } from './testkit';
import type { RolloutActions } from './types';

const { prisma, draft: start } = useEngineTests();

/** Every device of the rollout with status ASSIGNED reports DOWNLOADING then UPDATED. */
async function updateAssigned(h: Harness) {
  const waiting = (await rolloutDevices(prisma(), h.rolloutId)).filter((d) => d.status === 'ASSIGNED');
  for (const d of waiting) {
    await h.report(d.deviceId, 'DOWNLOADING');
    await h.report(d.deviceId, 'UPDATED');
  }
  for (const d of waiting) await h.deviceIs(d.deviceId, 'UPDATED');
  return waiting.map((d) => d.deviceId);
}

const assignedCount = async (h: Harness) => (await rolloutDevices(prisma(), h.rolloutId)).length;

describe('a healthy rollout', () => {
  it('goes through three stages to SUCCEEDED, recording transitions, gates and current firmware', async () => {
    const h = await start(10, { stages: [{ percent: 10 }, { percent: 50 }, { percent: 100 }], gates: { minSuccessRatio: 1 } });
    await h.act('start', 'go');
    expect(await assignedCount(h)).toBe(1);
    const [first] = (await rolloutDevices(prisma(), h.rolloutId));
    await eventually(() => h.seen.commands.length === 1);
    expect(h.seen.commands[0]).toMatchObject({
      type: 'UPDATE', deviceId: first!.deviceId, commandId: `${h.rolloutId}:${first!.deviceId}:1`, rolloutId: h.rolloutId,
      firmware: { id: h.fleet.v2.id, version: '2.0.0', title: 'meter-fw', size: h.fleet.v2.size, sha256: h.fleet.v2.sha256 },
    });
    expect(first!.previousFirmwareId).toBe(h.fleet.v1.id);
    expect(await h.cache.get(updateWindowKey(first!.deviceId))).toBe(h.rolloutId);

    await updateAssigned(h);
    await eventually(async () => (await assignedCount(h)) === 5, { what: 'stage 1 assigned' });
    expect(await h.cache.get(updateWindowKey(first!.deviceId))).toBeNull();
    expect((await h.rollout()).stageIndex).toBe(1);
    await updateAssigned(h);
    await eventually(async () => (await assignedCount(h)) === 10, { what: 'stage 2 assigned' });
    await updateAssigned(h);
    await h.stateIs('SUCCEEDED');

    const rollout = await h.rollout();
    expect(rollout.finishedAt).not.toBeNull();
    expect(rollout.stageIndex).toBe(3);
    const transitions = await prisma().rolloutTransition.findMany({ where: { rolloutId: h.rolloutId }, orderBy: { at: 'asc' } });
    expect(transitions.map((t) => [t.fromState, t.toState, t.actorId, t.reason])).toEqual([
      ['DRAFT', 'RUNNING', h.operator.kind === 'user' ? h.operator.userId : null, 'go'],
      ['RUNNING', 'SUCCEEDED', null, 'all stages passed'],
    ]);
    const gates = await prisma().rolloutGateResult.findMany({ where: { rolloutId: h.rolloutId }, orderBy: { stageIndex: 'asc' } });
    expect(gates.map((g) => [g.stageIndex, g.gate, g.passed])).toEqual([[0, 'INSTALL_SUCCESS', true], [1, 'INSTALL_SUCCESS', true], [2, 'INSTALL_SUCCESS', true]]);
    expect(gates[1]!.evidence).toMatchObject({ updated: 4, assigned: 4, ratio: 1 });
    const devices = await rolloutDevices(prisma(), h.rolloutId);
    expect(devices.map((d) => d.stageIndex).sort()).toEqual([0, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    const firmware = await prisma().deviceFirmware.findMany({ where: { tenantId: h.fleet.tenant.id } });
    expect(firmware.every((f) => f.currentFirmwareId === h.fleet.v2.id && f.previousFirmwareId === h.fleet.v1.id && f.currentVersion === '2.0.0')).toBe(true);
    // One install command per device, never two.
    const updates = h.seen.commands.filter((c) => c.type === 'UPDATE');
    expect(new Set(updates.map((c) => c.commandId)).size).toBe(10);
    await eventually(() => h.seen.events.some((e) => e.type === 'state_changed' && e.state === 'SUCCEEDED'));
    expect(h.seen.events.filter((e) => e.type === 'stage_started').map((e) => e.stageIndex)).toEqual([0, 1, 2]);
    const progress = h.seen.events.find((e) => e.type === 'device_progress' && e.deviceStatus === 'UPDATED');
    expect(progress).toMatchObject({ firmwareId: h.fleet.v2.id, firmwareVersion: '2.0.0' });
  });

  it('includes a device that joins the target later, and never one of another tenant', async () => {
    const h = await start(2, { stages: [{ percent: 100 }] });
    const other = await seedFleet(prisma(), 1); // same label, other tenant
    await h.act('start');
    expect(await assignedCount(h)).toBe(2);
    const late = await addDevice(prisma(), h.fleet.tenant.id, h.fleet.profile.id, h.fleet.v1.id);
    await h.engine.evaluate(h.rolloutId);
    const devices = await rolloutDevices(prisma(), h.rolloutId);
    expect(devices.map((d) => d.deviceId)).toContain(late);
    expect(devices.map((d) => d.deviceId)).not.toContain(other.deviceIds[0]);
    await updateAssigned(h);
    await h.stateIs('SUCCEEDED');
  });
});

describe('approval', () => {
  const spec = { stages: [{ count: 1, requireApproval: true }, { percent: 100 }] };

  it('waits in PAUSED after a stage that requires approval until approved', async () => {
    const h = await start(3, spec);
    await h.act('start');
    await updateAssigned(h);
    await eventually(async () => (await h.rollout()).awaitingApproval);
    expect((await h.rollout()).state).toBe('PAUSED');
    expect(await assignedCount(h)).toBe(1);
    const waiting = await prisma().rolloutTransition.findFirst({ where: { rolloutId: h.rolloutId, toState: 'PAUSED' } });
    expect(waiting?.reason).toBe('awaiting approval');
    await h.engine.evaluate(h.rolloutId); // a tick changes nothing while it waits
    expect(await assignedCount(h)).toBe(1);
    await expect(h.act('resume')).rejects.toMatchObject({ extensions: { code: ErrorCode.BAD_USER_INPUT } });

    await h.act('approve', 'canary looks fine');
    const rollout = await h.rollout();
    expect(rollout).toMatchObject({ state: 'RUNNING', stageIndex: 1, awaitingApproval: false });
    expect(await assignedCount(h)).toBe(3);
    const approval = await prisma().rolloutGateResult.findFirstOrThrow({ where: { rolloutId: h.rolloutId, gate: 'APPROVAL' } });
    expect(approval).toMatchObject({ passed: true, stageIndex: 0, evidence: { by: h.operator.kind === 'user' ? h.operator.userId : '', reason: 'canary looks fine' } });
    await updateAssigned(h);
    await h.stateIs('SUCCEEDED');
  });

  it('aborts when the promotion is rejected', async () => {
    const h = await start(3, spec);
    await h.act('start');
    await updateAssigned(h);
    await eventually(async () => (await h.rollout()).awaitingApproval);
    await h.act('reject', 'too risky');
    expect(await h.rollout()).toMatchObject({ state: 'ABORTED', awaitingApproval: false });
    const approval = await prisma().rolloutGateResult.findFirstOrThrow({ where: { rolloutId: h.rolloutId, gate: 'APPROVAL' } });
    expect(approval.passed).toBe(false);
    expect(await assignedCount(h)).toBe(1);
  });
});

describe('actions', () => {
  it('answer NOT_FOUND to another tenant for every action, FORBIDDEN to a viewer, and name the state when it is wrong', async () => {
    const h = await start(1, { stages: [{ percent: 100 }] });
    const stranger = await seedFleet(prisma(), 0);
    const outsider: Identity = { kind: 'user', userId: uuidv7(), tenantId: stranger.tenant.id, role: 'TENANT_ADMIN' };
    const all: Array<keyof RolloutActions> = ['start', 'pause', 'resume', 'approve', 'reject', 'abort', 'rollback', 'cancel'];
    for (const action of all) {
      await expect(h.act(action, undefined, outsider)).rejects.toMatchObject({ extensions: { code: ErrorCode.NOT_FOUND } });
    }
    expect((await h.rollout()).state).toBe('DRAFT');
    const viewer: Identity = { kind: 'user', userId: uuidv7(), tenantId: h.fleet.tenant.id, role: 'VIEWER' };
    await expect(h.act('start', undefined, viewer)).rejects.toMatchObject({ extensions: { code: ErrorCode.FORBIDDEN } });
    await expect(h.actions.pause({ identity: h.operator, rolloutId: 'not-a-uuid' })).rejects.toMatchObject({ extensions: { code: ErrorCode.NOT_FOUND } });

    await h.act('start');
    await h.act('pause', 'night');
    await h.engine.evaluate(h.rolloutId);
    await h.act('resume');
    await updateAssigned(h);
    await h.stateIs('SUCCEEDED');
    await expect(h.act('pause')).rejects.toThrow('id: rollout is SUCCEEDED; only a RUNNING rollout can be paused');
    await expect(h.act('cancel')).rejects.toMatchObject({ extensions: { code: ErrorCode.BAD_USER_INPUT } });
    const transitions = await prisma().rolloutTransition.findMany({ where: { rolloutId: h.rolloutId }, orderBy: { at: 'asc' } });
    expect(transitions.map((t) => t.toState)).toEqual(['RUNNING', 'PAUSED', 'RUNNING', 'SUCCEEDED']);
    expect(transitions[1]!.reason).toBe('night');
  });

  it('cancels a DRAFT and aborts a running rollout, withdrawing unfinished assignments', async () => {
    const draft = await start(1, { stages: [{ percent: 100 }] });
    await draft.act('cancel');
    expect((await draft.rollout()).state).toBe('CANCELLED');

    const h = await start(2, { stages: [{ percent: 100 }] });
    await h.act('start');
    await h.act('abort', 'wrong build');
    expect((await h.rollout()).state).toBe('ABORTED');
    const devices = await rolloutDevices(prisma(), h.rolloutId);
    expect(devices.map((d) => d.status)).toEqual(['CANCELLED', 'CANCELLED']);
    await eventually(() => h.seen.commands.filter((c) => c.type === 'CANCEL').length === 2);
    const firmware = await prisma().deviceFirmware.findMany({ where: { deviceId: { in: h.fleet.deviceIds } } });
    expect(firmware.every((f) => f.targetFirmwareId === h.fleet.v1.id && f.commandId === null)).toBe(true);
  });
});
