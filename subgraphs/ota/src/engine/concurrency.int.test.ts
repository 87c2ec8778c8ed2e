// The engine's promise that "engines may run side by side", held to on a real PostgreSQL
// server: several engines, each with its own connection pool, race evaluations, operator
// actions and duplicate reports over one database. (The unit tests run on PGlite, which runs
// one transaction at a time, so they cannot show lock contention.)
import { ErrorCode, type OtaStatusReport, type RolloutEvent } from '@ump/core';
import { eventually } from '@ump/core/src/testing/eventually';
import { describeWith } from '@ump/core/src/testing/services';
import { createTestDatabase, type TestDatabase } from '@ump/db/src/testing';
import { GraphQLError } from 'graphql';
import { createRollout, engineCluster, operatorOf, rolloutRecord, type Cluster } from './pg-testkit';
import { applyReport } from './status';
import { seedFleet, type Fleet } from './testkit';

// A shared 2-core machine: polls wait up to 15 s, so a test gets more.
jest.setTimeout(120_000);
const poll = { timeoutMs: 15_000 };

describeWith('postgres')('rollout engines side by side on PostgreSQL', () => {
  let test: TestDatabase;
  const open: Cluster[] = [];
  const prisma = () => test.db.prisma;

  beforeAll(async () => {
    test = await createTestDatabase();
  }, 60_000);
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await test?.drop();
  });

  const cluster = async (opts?: Parameters<typeof engineCluster>[1]) => {
    const c = await engineCluster(test.url, opts);
    open.push(c);
    return c;
  };

  const statusesOf = async (rolloutId: string, deviceIds: string[]) =>
    (await prisma().rolloutDevice.findMany({ where: { rolloutId, deviceId: { in: deviceIds } }, select: { status: true } })).map((d) => d.status);

  /** Every device of the rollout still ASSIGNED reports UPDATED (`copies` times each); waits until they are. */
  async function finishStage(c: Cluster, fleet: Fleet, rolloutId: string, copies = 1): Promise<string[]> {
    const waiting = (await prisma().rolloutDevice.findMany({ where: { rolloutId, status: 'ASSIGNED' } })).map((d) => d.deviceId);
    for (const deviceId of waiting) await c.report(fleet, deviceId, 'UPDATED', { copies });
    await eventually(async () => (await statusesOf(rolloutId, waiting)).every((s) => s === 'UPDATED'), { ...poll, what: 'stage devices UPDATED' });
    return waiting;
  }

  const ofRollout = (c: Cluster, rolloutId: string) => ({
    updates: c.published.commands.filter((cmd) => cmd.rolloutId === rolloutId && cmd.type === 'UPDATE'),
    events: c.published.events.filter((e) => e.rolloutId === rolloutId),
  });
  const ofType = (events: RolloutEvent[], type: RolloutEvent['type']) => events.filter((e) => e.type === type);
  const sorted = <T>(values: T[]) => [...values].sort();

  /** The rejection is the documented one: BAD_USER_INPUT naming the state the rollout is in. */
  const expectWrongState = (result: PromiseSettledResult<unknown>, message: RegExp) => {
    expect(result.status).toBe('rejected');
    const reason: unknown = (result as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(GraphQLError);
    expect((reason as GraphQLError).extensions.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect((reason as GraphQLError).message).toMatch(message);
  };

  it('three engines evaluating 50 at a time while devices report: every device assigned once, every stage passed once', async () => {
    const c = await cluster();
    const fleet = await seedFleet(prisma(), 30);
    const rolloutId = await createRollout(prisma(), fleet, { stages: [{ percent: 10 }, { percent: 50 }, { percent: 100 }], gates: { minSuccessRatio: 1 } });
    // Evaluations of a DRAFT do nothing, whenever they land against the start.
    await Promise.all([c.engines[0]!.engine.actions.start({ identity: operatorOf(fleet), rolloutId }), c.burst(rolloutId)]);

    for (let round = 0; round < 10; round++) {
      const state = (await prisma().rollout.findUniqueOrThrow({ where: { id: rolloutId } })).state;
      if (state !== 'RUNNING') break;
      const waiting = (await prisma().rolloutDevice.findMany({ where: { rolloutId, status: 'ASSIGNED' } })).map((d) => d.deviceId);
      c.clock.advance(1_000);
      // Reports (and the evaluations each applied one asks for, on whichever engine consumed
      // it) interleave with two bursts of 50 evaluations spread over the three engines.
      await Promise.all([
        ...waiting.map(async (deviceId) => {
          await c.report(fleet, deviceId, 'DOWNLOADING');
          await c.report(fleet, deviceId, 'UPDATED');
        }),
        c.burst(rolloutId),
        c.burst(rolloutId),
      ]);
      await eventually(async () => (await statusesOf(rolloutId, waiting)).every((s) => s === 'UPDATED'), { ...poll, what: `round ${round} UPDATED` });
      await c.burst(rolloutId);
    }
    // Every evaluation still queued in an engine finishes and publishes before this returns.
    await c.close();

    const record = await rolloutRecord(prisma(), rolloutId);
    expect(record.rollout.state).toBe('SUCCEEDED');
    expect(record.transitions).toEqual(['DRAFT->RUNNING', 'RUNNING->SUCCEEDED']);
    expect(record.gates.map((g) => [g.stageIndex, g.gate, g.passed])).toEqual([[0, 'INSTALL_SUCCESS', true], [1, 'INSTALL_SUCCESS', true], [2, 'INSTALL_SUCCESS', true]]);
    // Exactly one row per device, each a first attempt, and no stage reached past its share.
    expect(record.devices.map((d) => d.deviceId)).toEqual(fleet.deviceIds);
    for (const d of record.devices) expect([d.status, d.attempts, d.commandId]).toEqual(['UPDATED', 1, `${rolloutId}:${d.deviceId}:1`]);
    expect([0, 1, 2].map((stage) => record.devices.filter((d) => d.stageIndex === stage).length)).toEqual([3, 12, 15]);

    const { updates, events } = ofRollout(c, rolloutId);
    expect(sorted(updates.map((u) => u.deviceId))).toEqual(fleet.deviceIds);
    // Decisions are serialized, their publishing after the commit is not: compare as sets.
    expect(sorted(ofType(events, 'stage_started').map((e) => e.stageIndex))).toEqual([0, 1, 2]);
    expect(sorted(ofType(events, 'state_changed').map((e) => e.state))).toEqual(['RUNNING', 'SUCCEEDED']);
    expect(ofType(events, 'gate_evaluated')).toHaveLength(3);
    const progress = ofType(events, 'device_progress').map((e) => e.eventId);
    expect(progress).toHaveLength(30 * 3);
    expect(new Set(progress).size).toBe(30 * 3);
  });

  it('pause racing evaluations lands between whole passes; a second pause at the same moment is refused', async () => {
    const c = await cluster();
    const [a, , third] = c.engines;
    const seen = { passedFirst: 0, pausedFirst: 0 };
    const rollouts: string[] = [];
    for (let round = 0; round < 4; round++) {
      const fleet = await seedFleet(prisma(), 4);
      const rolloutId = await createRollout(prisma(), fleet, { stages: [{ percent: 50 }, { percent: 100 }], gates: { minSuccessRatio: 1, observeSeconds: 60 } });
      rollouts.push(rolloutId);
      await a!.engine.actions.start({ identity: operatorOf(fleet), rolloutId });
      await finishStage(c, fleet, rolloutId);
      // Stage 0 is complete: the first pass past the observation window passes it and assigns stage 1.
      c.clock.advance(61_000);
      const [pauseA, burst, pauseC] = await Promise.allSettled([
        a!.engine.actions.pause({ identity: operatorOf(fleet), rolloutId, reason: 'a' }),
        c.burst(rolloutId, 20),
        third!.engine.actions.pause({ identity: operatorOf(fleet), rolloutId, reason: 'c' }),
      ]);
      expect(burst.status).toBe('fulfilled');
      const pauses = [pauseA!, pauseC!];
      expect(pauses.filter((p) => p.status === 'fulfilled')).toHaveLength(1);
      expectWrongState(pauses.find((p) => p.status === 'rejected')!, /^id: rollout is PAUSED; only a RUNNING rollout can be paused/);

      const paused = await rolloutRecord(prisma(), rolloutId);
      expect(paused.rollout.state).toBe('PAUSED');
      expect(paused.transitions).toEqual(['DRAFT->RUNNING', 'RUNNING->PAUSED']);
      // Either a whole pass came first (gate, next stage, its devices) or the pause did (nothing of it).
      if (paused.gates.length > 0) {
        seen.passedFirst++;
        expect(paused.gates.map((g) => [g.stageIndex, g.gate, g.passed])).toEqual([[0, 'INSTALL_SUCCESS', true]]);
        expect([paused.rollout.stageIndex, paused.devices.length]).toEqual([1, 4]);
      } else {
        seen.pausedFirst++;
        expect([paused.rollout.stageIndex, paused.devices.length]).toEqual([0, 2]);
      }
      // Paused, nothing more is decided however often it is evaluated.
      c.clock.advance(61_000);
      await c.burst(rolloutId, 20);
      expect(await rolloutRecord(prisma(), rolloutId)).toEqual(paused);

      await c.engines[1]!.engine.actions.resume({ identity: operatorOf(fleet), rolloutId });
      await eventually(async () => (await prisma().rolloutDevice.count({ where: { rolloutId } })) === 4, { ...poll, what: 'stage 1 assigned after resume' });
      await finishStage(c, fleet, rolloutId);
      c.clock.advance(61_000);
      await c.burst(rolloutId, 20);
      // A burst may all find the lock taken by a report's own evaluation, still finishing.
      const done = await eventually(async () => {
        const now = await rolloutRecord(prisma(), rolloutId);
        return now.rollout.state === 'SUCCEEDED' ? now : null;
      }, { ...poll, what: 'SUCCEEDED' });
      expect(done.transitions).toEqual(['DRAFT->RUNNING', 'RUNNING->PAUSED', 'PAUSED->RUNNING', 'RUNNING->SUCCEEDED']);
      expect(done.gates.map((g) => [g.stageIndex, g.gate])).toEqual([[0, 'INSTALL_SUCCESS'], [1, 'INSTALL_SUCCESS']]);
    }
    await c.close();
    for (const rolloutId of rollouts) {
      const { updates, events } = ofRollout(c, rolloutId);
      expect(updates).toHaveLength(4);
      expect(new Set(updates.map((u) => u.deviceId)).size).toBe(4);
      expect(sorted(ofType(events, 'stage_started').map((e) => e.stageIndex))).toEqual([0, 1]);
    }
    // Which side wins is up to the scheduler; recorded so a run shows what it exercised.
    console.info(`pause vs evaluation: ${JSON.stringify(seen)}`);
  });

  it('approvals racing each other (and a rejection) from three engines: exactly one wins, the others are refused', async () => {
    const c = await cluster();
    const rollouts: Array<{ rolloutId: string; approved: boolean }> = [];
    for (let round = 0; round < 4; round++) {
      const fleet = await seedFleet(prisma(), 6);
      const rolloutId = await createRollout(prisma(), fleet, { stages: [{ percent: 50, requireApproval: true }, { percent: 100 }], gates: { minSuccessRatio: 1 } });
      await c.engines[0]!.engine.actions.start({ identity: operatorOf(fleet), rolloutId });
      c.clock.advance(1_000);
      await finishStage(c, fleet, rolloutId);
      await c.burst(rolloutId, 10);
      await eventually(async () => (await prisma().rollout.findUniqueOrThrow({ where: { id: rolloutId } })).awaitingApproval, { ...poll, what: 'awaiting approval' });

      // Odd rounds race a rejection against two approvals.
      const kinds = round % 2 === 0 ? (['approve', 'approve', 'approve'] as const) : (['approve', 'approve', 'reject'] as const);
      const operators = kinds.map(() => operatorOf(fleet));
      c.clock.advance(1_000);
      const settled = await Promise.allSettled([
        ...kinds.map((kind, i) => c.engines[i]!.engine.actions[kind]({ identity: operators[i]!, rolloutId, reason: `${kind} ${i}` })),
        c.burst(rolloutId, 20),
      ]);
      expect(settled[kinds.length]!.status).toBe('fulfilled');
      const actions = settled.slice(0, kinds.length);
      const winners = actions.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      const approved = kinds[winner] === 'approve';
      for (const [i, r] of actions.entries()) {
        if (i !== winner) expectWrongState(r, new RegExp(`^id: rollout is ${approved ? 'RUNNING' : 'ABORTED'}; only a rollout awaiting approval can be (approved|rejected)`));
      }

      const record = await rolloutRecord(prisma(), rolloutId);
      const approvals = record.gates.filter((g) => g.gate === 'APPROVAL');
      expect(approvals).toHaveLength(1);
      expect(approvals[0]).toMatchObject({ stageIndex: 0, passed: approved, evidence: { by: operators[winner]!.userId } });
      expect(record.transitions).toEqual(['DRAFT->RUNNING', 'RUNNING->PAUSED', approved ? 'PAUSED->RUNNING' : 'PAUSED->ABORTED']);
      expect(record.rollout.stageIndex).toBe(approved ? 1 : 0);
      expect(record.devices).toHaveLength(approved ? 6 : 3);
      rollouts.push({ rolloutId, approved });
      if (approved) {
        await finishStage(c, fleet, rolloutId);
        await c.burst(rolloutId, 10);
        await eventually(async () => (await prisma().rollout.findUniqueOrThrow({ where: { id: rolloutId } })).state === 'SUCCEEDED', { ...poll, what: 'SUCCEEDED' });
      }
    }
    await c.close();
    for (const { rolloutId, approved } of rollouts) {
      const { updates, events } = ofRollout(c, rolloutId);
      expect(sorted(updates.map((u) => u.deviceId))).toEqual(sorted([...new Set(updates.map((u) => u.deviceId))]));
      expect(updates).toHaveLength(approved ? 6 : 3);
      expect(sorted(ofType(events, 'stage_started').map((e) => e.stageIndex))).toEqual(approved ? [0, 1] : [0]);
      expect(ofType(events, 'gate_evaluated').filter((e) => e.gate === 'APPROVAL')).toHaveLength(1);
    }
  });

  it('every report reaching all three engines twice is applied once, and the last of a stage still moves the rollout on', async () => {
    // Each engine its own consumer group: every report is consumed by all three.
    const c = await cluster({ groups: 'distinct' });
    const fleet = await seedFleet(prisma(), 8);
    const rolloutId = await createRollout(prisma(), fleet, { stages: [{ percent: 50 }, { percent: 100 }], retry: { maxAttempts: 2 } });
    await c.engines[0]!.engine.actions.start({ identity: operatorOf(fleet), rolloutId });
    const stage0 = (await prisma().rolloutDevice.findMany({ where: { rolloutId } })).map((d) => d.deviceId);
    const flaky = stage0[0]!;
    await c.report(fleet, flaky, 'FAILED', { reason: 'flash error', copies: 2 });
    await eventually(async () => (await prisma().rolloutDevice.findFirst({ where: { rolloutId, deviceId: flaky, attempts: 2 } })) !== null, { ...poll, what: 'retry' });

    // No evaluation is asked for here: the rollout moves on only through the evaluations the
    // engines request after applying a report, while the duplicates hold the same locks.
    const deliver = async (deviceIds: string[]) => {
      c.clock.advance(1_000);
      for (const deviceId of deviceIds) {
        await c.report(fleet, deviceId, 'DOWNLOADING', { copies: 2 });
        await c.report(fleet, deviceId, 'UPDATED', { copies: 2 });
      }
    };
    await deliver(stage0);
    await eventually(async () => (await prisma().rolloutDevice.count({ where: { rolloutId } })) === 8, { ...poll, what: 'stage 1 assigned after the last report' });
    const stage1 = (await prisma().rolloutDevice.findMany({ where: { rolloutId, stageIndex: 1 } })).map((d) => d.deviceId);
    await deliver(stage1);
    await eventually(async () => (await prisma().rollout.findUniqueOrThrow({ where: { id: rolloutId } })).state === 'SUCCEEDED', { ...poll, what: 'SUCCEEDED after the last report' });
    await c.close();

    const record = await rolloutRecord(prisma(), rolloutId);
    expect(record.transitions).toEqual(['DRAFT->RUNNING', 'RUNNING->SUCCEEDED']);
    expect(record.gates.map((g) => [g.stageIndex, g.gate, g.passed])).toEqual([[0, 'INSTALL_SUCCESS', true], [1, 'INSTALL_SUCCESS', true]]);
    for (const d of record.devices) {
      const attempt = d.deviceId === flaky ? 2 : 1;
      expect([d.status, d.attempts, d.commandId]).toEqual(['UPDATED', attempt, `${rolloutId}:${d.deviceId}:${attempt}`]);
    }
    const { updates, events } = ofRollout(c, rolloutId);
    expect(sorted(updates.map((u) => u.commandId))).toEqual(sorted([...fleet.deviceIds.map((id) => `${rolloutId}:${id}:1`), `${rolloutId}:${flaky}:2`]));
    // One device_progress per step actually taken: 7 devices ASSIGNED, DOWNLOADING, UPDATED;
    // the flaky one ASSIGNED and FAILED on its first command, then those three on its second.
    const progress = ofType(events, 'device_progress').map((e) => e.eventId);
    expect(progress).toHaveLength(7 * 3 + 2 + 3);
    expect(new Set(progress).size).toBe(progress.length);
    // 17 distinct reports, each delivered 6 times: applied once, ignored 5 times.
    const total = async (name: string) => {
      let sum = 0;
      for (const e of c.engines) for (const v of (await e.registry.getSingleMetric(name)!.get()).values) sum += v.value;
      return sum;
    };
    expect(await total('ump_ota_reports_applied_total')).toBe(17);
    expect(await total('ump_ota_reports_ignored_total')).toBe(17 * 5);
  });

  it('one report applied from two connections at once changes the assignment once and never moves it back', async () => {
    const c = await cluster({ engines: 2 });
    const fleet = await seedFleet(prisma(), 5);
    const rolloutId = await createRollout(prisma(), fleet, { stages: [{ percent: 100 }] });
    await c.engines[0]!.engine.actions.start({ identity: operatorOf(fleet), rolloutId });
    const commands = new Map((await prisma().rolloutDevice.findMany({ where: { rolloutId } })).map((d) => [d.deviceId, d.commandId]));
    const reportOf = (deviceId: string, status: OtaStatusReport['status']): OtaStatusReport => ({
      messageId: `${deviceId}:${status}`, tenantId: fleet.tenant.id, deviceId, commandId: commands.get(deviceId)!, status, at: c.clock.now,
    });
    // Every device at once: each report twice from each engine's own connection.
    const applied = await Promise.all(
      fleet.deviceIds.map(async (deviceId) => {
        const counts: number[] = [];
        for (const status of ['DOWNLOADING', 'UPDATED'] as const) {
          const outcomes = await Promise.all(c.engines.flatMap((e) => [applyReport(e.ctx, reportOf(deviceId, status)), applyReport(e.ctx, reportOf(deviceId, status))]));
          counts.push(outcomes.filter((o) => o.applied).length);
        }
        return counts;
      }),
    );
    expect(applied).toEqual(fleet.deviceIds.map(() => [1, 1]));
    // An UPDATED applied twice would record v2 as its own predecessor.
    const firmware = await prisma().deviceFirmware.findMany({ where: { deviceId: { in: fleet.deviceIds } } });
    for (const f of firmware) expect([f.status, f.currentFirmwareId, f.previousFirmwareId]).toEqual(['UPDATED', fleet.v2.id, fleet.v1.id]);

    // Out of order at the same moment: whichever lands first, the device ends UPDATED.
    const late = await seedFleet(prisma(), 4);
    const lateRollout = await createRollout(prisma(), late, { stages: [{ percent: 100 }] });
    await c.engines[1]!.engine.actions.start({ identity: operatorOf(late), rolloutId: lateRollout });
    const lateDevices = await prisma().rolloutDevice.findMany({ where: { rolloutId: lateRollout } });
    await Promise.all(
      lateDevices.map((d) => {
        const base = { tenantId: late.tenant.id, deviceId: d.deviceId, commandId: d.commandId, at: c.clock.now };
        return Promise.all([
          applyReport(c.engines[0]!.ctx, { ...base, messageId: `${d.deviceId}:u`, status: 'UPDATED' }),
          applyReport(c.engines[1]!.ctx, { ...base, messageId: `${d.deviceId}:d`, status: 'DOWNLOADING' }),
        ]);
      }),
    );
    expect(await statusesOf(lateRollout, lateDevices.map((d) => d.deviceId))).toEqual(lateDevices.map(() => 'UPDATED'));
  });
});
