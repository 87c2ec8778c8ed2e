import { eventually } from '@ump/core/src/testing/eventually';
import { rolloutDevices, useEngineTests, type Harness } from './testkit';

const { prisma, started: start } = useEngineTests();
const assigned = async (h: Harness) => (await rolloutDevices(prisma(), h.rolloutId)).map((d) => d.deviceId);

describe('install gates', () => {
  it('aborts at the canary once the sample shows 30% failures, with evidence, cancelling unfinished devices', async () => {
    const h = await start(20, { stages: [{ count: 12 }, { percent: 100 }], gates: { minSample: 10, maxFailureRatio: 0.3 } });
    const canary = await assigned(h);
    expect(canary).toHaveLength(12);
    // 9 final devices (2 failed): the sample is not in yet.
    const outcomes = ['UPDATED', 'FAILED', 'UPDATED', 'UPDATED', 'UPDATED', 'FAILED', 'UPDATED', 'UPDATED', 'UPDATED'] as const;
    for (const [i, status] of outcomes.entries()) await h.report(canary[i]!, status, { reason: status === 'FAILED' ? 'flash error' : undefined });
    for (const [i, status] of outcomes.entries()) await h.deviceIs(canary[i]!, status);
    await h.engine.evaluate(h.rolloutId);
    expect((await h.rollout()).state).toBe('RUNNING');

    await h.report(canary[9]!, 'FAILED'); // 3 of 10
    await h.stateIs('ABORTED');
    const gate = await prisma().rolloutGateResult.findFirstOrThrow({ where: { rolloutId: h.rolloutId } });
    expect(gate).toMatchObject({ gate: 'INSTALL_FAILURE', passed: false, stageIndex: 0, evidence: { failed: 3, final: 10, ratio: 0.3, limit: 0.3 } });
    const devices = await rolloutDevices(prisma(), h.rolloutId);
    expect(devices).toHaveLength(12); // the next stage was never assigned
    const cancelled = devices.filter((d) => d.status === 'CANCELLED').map((d) => d.deviceId).sort();
    expect(cancelled).toEqual([canary[10], canary[11]].sort());
    await eventually(() => h.seen.commands.filter((c) => c.type === 'CANCEL').length === 2);
    expect(h.seen.commands.filter((c) => c.type === 'CANCEL').map((c) => c.deviceId).sort()).toEqual(cancelled);
    const reset = await prisma().deviceFirmware.findMany({ where: { deviceId: { in: cancelled } } });
    expect(reset.every((f) => f.targetFirmwareId === h.fleet.v1.id && f.commandId === null)).toBe(true);
    const transition = await prisma().rolloutTransition.findFirstOrThrow({ where: { rolloutId: h.rolloutId, toState: 'ABORTED' } });
    expect(transition.actorId).toBeNull();
    await eventually(() => h.seen.events.some((e) => e.type === 'gate_evaluated' && e.gate === 'INSTALL_FAILURE' && e.passed === false));
  });

  it('fails a device silent past its stage timeout ("timed out") and then judges the stage', async () => {
    const h = await start(2, { stages: [{ percent: 100, timeoutSeconds: 60 }], gates: { minSuccessRatio: 0.5, maxFailureRatio: 0.9 } });
    const [a, b] = await assigned(h);
    await h.report(a!, 'UPDATED');
    await h.deviceIs(a!, 'UPDATED');
    await h.engine.evaluate(h.rolloutId);
    expect((await h.rollout()).state).toBe('RUNNING');
    h.clock.advance(61_000);
    await h.engine.evaluate(h.rolloutId);
    const late = await prisma().rolloutDevice.findFirstOrThrow({ where: { rolloutId: h.rolloutId, deviceId: b! } });
    expect(late).toMatchObject({ status: 'FAILED', reason: 'timed out' });
    await h.stateIs('SUCCEEDED');
  });

  it('fails the rollout when the install-success gate fails', async () => {
    const h = await start(2, { stages: [{ percent: 100 }], gates: { minSuccessRatio: 1, maxFailureRatio: 1 } });
    const [a, b] = await assigned(h);
    await h.report(a!, 'UPDATED');
    await h.report(b!, 'FAILED');
    await h.stateIs('FAILED');
    const gate = await prisma().rolloutGateResult.findFirstOrThrow({ where: { rolloutId: h.rolloutId } });
    expect(gate).toMatchObject({ gate: 'INSTALL_SUCCESS', passed: false, evidence: { updated: 1, assigned: 2 } });
  });
});

describe('KPI gates', () => {
  const kpiSpec = (onKpiFailure?: string) => ({
    stages: [{ percent: 20 }, { percent: 100 }],
    gates: { observeSeconds: 600, alertRate: { maxIncreasePercent: 20, minAlerts: 2 }, ...(onKpiFailure ? { onKpiFailure } : {}) },
  });

  it('rolls back when updated devices raise alerts faster than the rest, re-targeting their previous firmware', async () => {
    const h = await start(10, kpiSpec());
    const canary = await assigned(h);
    expect(canary).toHaveLength(2);
    for (const id of canary) await h.report(id, 'UPDATED');
    for (const id of canary) await h.deviceIs(id, 'UPDATED');
    for (const id of canary) h.kpi.raises.set(id, 3);
    for (const id of h.fleet.deviceIds.filter((d) => !canary.includes(d))) h.kpi.raises.set(id, 1);

    h.clock.advance(300_000); // not observed long enough yet
    await h.engine.evaluate(h.rolloutId);
    expect((await h.rollout()).state).toBe('RUNNING');
    expect(await prisma().rolloutGateResult.count({ where: { rolloutId: h.rolloutId } })).toBe(0);

    h.clock.advance(301_000);
    await h.engine.evaluate(h.rolloutId);
    await h.stateIs('ROLLED_BACK');
    const gates = await prisma().rolloutGateResult.findMany({ where: { rolloutId: h.rolloutId }, orderBy: { gate: 'asc' } });
    expect(gates.map((g) => [g.gate, g.passed])).toEqual([['ALERT_RATE', false], ['INSTALL_SUCCESS', true]]);
    const evidence = gates[0]!.evidence as { updated: { raises: number; devices: number; rate: number; deviceHours: number }; baseline: { raises: number; devices: number; rate: number; deviceHours: number } };
    expect(evidence.updated).toMatchObject({ raises: 6, devices: 2 });
    expect(evidence.baseline).toMatchObject({ raises: 8, devices: 8 });
    expect(evidence.updated.rate).toBeGreaterThan(evidence.baseline.rate * 1.2);
    expect(evidence.updated.deviceHours).toBeGreaterThan(0);
    // The KPI source was asked about this tenant, each updated device from its update on.
    const raisesQuery = h.kpi.queries.find((q) => q.windows.some((w) => canary.includes(w.deviceId)))!;
    expect(raisesQuery.tenantId).toBe(h.fleet.tenant.id);

    const devices = await rolloutDevices(prisma(), h.rolloutId);
    expect(devices.map((d) => d.status)).toEqual(['ROLLING_BACK', 'ROLLING_BACK']);
    await eventually(() => h.seen.commands.filter((c) => c.commandId.endsWith(':rollback')).length === 2);
    const rollbacks = h.seen.commands.filter((c) => c.commandId.endsWith(':rollback'));
    for (const command of rollbacks) {
      expect(command).toMatchObject({ type: 'UPDATE', commandId: `${h.rolloutId}:${command.deviceId}:rollback`, firmware: { id: h.fleet.v1.id, version: '1.0.0' } });
    }
    const transition = await prisma().rolloutTransition.findFirstOrThrow({ where: { rolloutId: h.rolloutId, toState: 'ROLLED_BACK' } });
    expect(transition.reason).toContain('ALERT_RATE');

    // The devices install the old firmware again.
    for (const id of canary) await h.report(id, 'UPDATED');
    for (const id of canary) await h.deviceIs(id, 'ROLLED_BACK');
    const firmware = await prisma().deviceFirmware.findMany({ where: { deviceId: { in: canary } } });
    expect(firmware.every((f) => f.currentFirmwareId === h.fleet.v1.id && f.currentVersion === '1.0.0')).toBe(true);
  });

  it('pauses instead when told to, and passes with no more alerts than the baseline', async () => {
    const h = await start(10, kpiSpec('PAUSE'));
    const canary = await assigned(h);
    for (const id of canary) await h.report(id, 'UPDATED');
    for (const id of canary) await h.deviceIs(id, 'UPDATED');
    for (const id of canary) h.kpi.raises.set(id, 5);
    h.clock.advance(601_000);
    await h.engine.evaluate(h.rolloutId);
    await h.stateIs('PAUSED');
    expect((await h.rollout()).awaitingApproval).toBe(false);

    const healthy = await start(10, kpiSpec());
    const devices = await assigned(healthy);
    for (const id of devices) await healthy.report(id, 'UPDATED');
    for (const id of devices) await healthy.deviceIs(id, 'UPDATED');
    for (const id of healthy.fleet.deviceIds) healthy.kpi.raises.set(id, 1);
    healthy.clock.advance(601_000);
    await healthy.engine.evaluate(healthy.rolloutId);
    await eventually(async () => (await rolloutDevices(prisma(), healthy.rolloutId)).length === 10);
    expect((await healthy.rollout()).stageIndex).toBe(1);
    const gate = await prisma().rolloutGateResult.findFirstOrThrow({ where: { rolloutId: healthy.rolloutId, gate: 'ALERT_RATE' } });
    expect(gate.passed).toBe(true);
  });

  it('judges the online share of updated devices from the cache', async () => {
    const h = await start(2, { stages: [{ percent: 50 }, { percent: 100 }], gates: { online: { minRatio: 1 }, onKpiFailure: 'ABORT' } });
    const [a] = await assigned(h);
    await h.report(a!, 'UPDATED');
    await h.stateIs('ABORTED'); // never seen since: offline
    const gate = await prisma().rolloutGateResult.findFirstOrThrow({ where: { rolloutId: h.rolloutId, gate: 'ONLINE' } });
    expect(gate).toMatchObject({ passed: false, evidence: { online: 0, updated: 1 } });
  });
});
