import { seedFirmware, seedRollout, seedRolloutDevices, seedTenant, type Seed } from '../../test/fixture';
import { USER, useOtaSubgraph } from '../../test/harness';

const h = useOtaSubgraph();

const ROLLOUT_FIELDS = `id name state stageIndex awaitingApproval firmware { id version }
  stages { index percent count timeoutSeconds requireApproval reach status }
  target { profileId labels deviceIds }
  gates { minSuccessRatio minSample maxFailureRatio observeSeconds alertRate { maxIncreasePercent minAlerts } metric { key minMean maxMean maxP95 } online { minRatio } onKpiFailure }
  retry { maxAttempts }
  progress { targeted assigned inProgress updated failed cancelled rollingBack rolledBack }
  transitions { fromState toState stageIndex actorId reason }
  createdAt startedAt finishedAt`;
const CREATE = `mutation($i: CreateRolloutInput!) { createRollout(input: $i) { ${ROLLOUT_FIELDS} } }`;

async function withFirmware(opts: { profileIds?: (seed: Seed) => string[] } = {}) {
  const seed = await seedTenant(h.prisma);
  const firmware = await seedFirmware(h.prisma, seed, { profileIds: opts.profileIds?.(seed) });
  return { seed, firmware };
}

describe('createRollout', () => {
  it('creates a DRAFT with the defaults filled in, its first transition, and stage reach over the target', async () => {
    const { seed, firmware } = await withFirmware({ profileIds: (s) => [s.profile.id] });
    const created = (
      await h.ok(seed, 'OPERATOR', CREATE, {
        i: {
          name: 'spring update',
          firmwareId: firmware.id,
          target: { profileId: seed.profile.id },
          stages: [{ percent: 25, requireApproval: true }, { count: 3, timeoutSeconds: 600 }, { percent: 100 }],
          gates: { minSuccessRatio: 0.95, metric: { key: 'temperature', maxP95: 40 }, onKpiFailure: 'PAUSE', alertRate: null },
          retry: { maxAttempts: 3 },
        },
      })
    ).createRollout;
    expect(created).toMatchObject({
      name: 'spring update',
      state: 'DRAFT',
      stageIndex: 0,
      awaitingApproval: false,
      firmware: { id: firmware.id },
      // 4 devices of the profile: 25% → 1, then 3, then all.
      stages: [
        { index: 0, percent: 25, count: null, timeoutSeconds: 3600, requireApproval: true, reach: 1, status: 'PENDING' },
        { index: 1, percent: null, count: 3, timeoutSeconds: 600, requireApproval: false, reach: 3, status: 'PENDING' },
        { index: 2, percent: 100, count: null, timeoutSeconds: 3600, requireApproval: false, reach: 4, status: 'PENDING' },
      ],
      target: { profileId: seed.profile.id, labels: null, deviceIds: null },
      gates: {
        minSuccessRatio: 0.95,
        minSample: 1,
        maxFailureRatio: 0.2,
        observeSeconds: 0,
        alertRate: null,
        metric: { key: 'temperature', minMean: null, maxMean: null, maxP95: 40 },
        online: null,
        onKpiFailure: 'PAUSE',
      },
      retry: { maxAttempts: 3 },
      progress: { targeted: 4, assigned: 0, inProgress: 0, updated: 0, failed: 0, cancelled: 0, rollingBack: 0, rolledBack: 0 },
      transitions: [{ fromState: null, toState: 'DRAFT', stageIndex: 0, actorId: USER, reason: null }],
      startedAt: null,
      finishedAt: null,
    });
    expect(h.calls.filter((c) => c.input.rolloutId === created.id)).toEqual([]);
    expect((await h.ok(seed, 'VIEWER', 'query($id: ID!) { rollout(id: $id) { name } }', { id: created.id })).rollout.name).toBe('spring update');
  });

  it.each([
    [{ stages: [{ percent: 50 }, { percent: 10 }] }, 'input.stages.1.percent'],
    [{ stages: [{ percent: 10, count: 3 }] }, 'input.stages.0'],
    [{ stages: [] }, 'input.stages'],
    [{ stages: [{ percent: 150 }] }, 'input.stages.0.percent'],
    [{ stages: [{ count: 2, timeoutSeconds: 0 }] }, 'input.stages.0.timeoutSeconds'],
    [{ target: { labels: ['a'], deviceIds: ['0190f6c4-8a6e-7000-8000-000000000001'] } }, 'input.target'],
    [{ target: { deviceIds: [] } }, 'input.target.deviceIds'],
    [{ target: {} }, 'input.target'],
    [{ target: { deviceIds: ['not-an-id'] } }, 'input.target.deviceIds.0'],
    [{ gates: { minSuccessRatio: 2 } }, 'input.gates.minSuccessRatio'],
    [{ gates: { metric: { key: 'temperature' } } }, 'input.gates.metric'],
    [{ retry: { maxAttempts: 0 } }, 'input.retry.maxAttempts'],
    [{ name: '' }, 'input.name'],
    [{ firmwareId: 'nope' }, 'input.firmwareId'],
  ])('refuses %j with BAD_USER_INPUT on %s', async (change, field) => {
    const { seed, firmware } = await withFirmware();
    const input = { name: 'r', firmwareId: firmware.id, target: { labels: ['site=berlin'] }, stages: [{ percent: 100 }], ...change };
    expect(await h.failure(seed, 'OPERATOR', CREATE, { i: input })).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('checks the firmware, the target and the firmware’s profiles against the caller’s tenant', async () => {
    const { seed, firmware } = await withFirmware({ profileIds: (s) => [s.profile.id] });
    const other = await seedTenant(h.prisma);
    const foreignFirmware = await seedFirmware(h.prisma, other);
    const base = { name: 'r', firmwareId: firmware.id, stages: [{ percent: 100 }] };
    expect(await h.failure(seed, 'OPERATOR', CREATE, { i: { ...base, firmwareId: foreignFirmware.id, target: { labels: ['a'] } } })).toMatchObject({ code: 'NOT_FOUND', field: 'input.firmwareId' });
    expect(await h.failure(seed, 'OPERATOR', CREATE, { i: { ...base, target: { profileId: other.profile.id } } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.target.profileId' });
    expect(await h.failure(seed, 'OPERATOR', CREATE, { i: { ...base, target: { deviceIds: [seed.device.id, other.device.id] } } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.target.deviceIds.1' });
    // The firmware is built for `profile` only: the other profile and its device do not fit.
    expect(await h.failure(seed, 'OPERATOR', CREATE, { i: { ...base, target: { profileId: seed.other.id } } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.target.profileId' });
    expect(await h.failure(seed, 'OPERATOR', CREATE, { i: { ...base, target: { deviceIds: [seed.stranger.id] } } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.target.deviceIds.0' });
    const ok = (await h.ok(seed, 'OPERATOR', CREATE, { i: { ...base, target: { deviceIds: [seed.devices[1]!.id, seed.devices[1]!.id, seed.device.id] } } })).createRollout;
    expect(ok.target.deviceIds).toEqual([seed.devices[1]!.id, seed.device.id]);
    expect(ok.progress.targeted).toBe(2);
    expect(await h.failure(seed, 'OPERATOR', CREATE, { i: { ...base, target: { labels: ['a'] } } })).toMatchObject({ code: 'CONFLICT', field: 'input.name' });
  });
});

const ACTIONS = [
  ['startRollout', 'start'],
  ['pauseRollout', 'pause'],
  ['resumeRollout', 'resume'],
  ['approveRolloutStage', 'approve'],
  ['rejectRolloutStage', 'reject'],
  ['abortRollout', 'abort'],
  ['rollbackRollout', 'rollback'],
  ['cancelRollout', 'cancel'],
] as const;

describe('rollout actions', () => {
  it.each(ACTIONS)('%s hands the caller, the id and the reason to engine.%s and returns the rollout re-read', async (mutation, action) => {
    const { seed, firmware } = await withFirmware();
    const rollout = await seedRollout(h.prisma, seed, firmware.id);
    const result = (await h.ok(seed, 'OPERATOR', `mutation($id: ID!) { ${mutation}(id: $id, reason: " looks good ") { id state } }`, { id: rollout.id }))[mutation];
    expect(result).toEqual({ id: rollout.id, state: action === 'start' ? 'RUNNING' : 'DRAFT' });
    const calls = h.calls.filter((c) => c.input.rolloutId === rollout.id);
    expect(calls).toEqual([
      { action, input: { identity: { kind: 'user', userId: USER, tenantId: seed.tenant.id, role: 'OPERATOR' }, rolloutId: rollout.id, reason: 'looks good' } },
    ]);
    // Without a reason, none is passed.
    await h.ok(seed, 'TENANT_ADMIN', `mutation($id: ID!) { ${mutation}(id: $id) { id } }`, { id: rollout.id });
    expect(h.calls.filter((c) => c.input.rolloutId === rollout.id)[1]!.input.reason).toBeUndefined();
  });

  it.each(ACTIONS)('%s is FORBIDDEN to a VIEWER and NOT_FOUND for another tenant, without calling the engine', async (mutation) => {
    const { seed, firmware } = await withFirmware();
    const other = await seedTenant(h.prisma);
    const rollout = await seedRollout(h.prisma, seed, firmware.id);
    const query = `mutation($id: ID!) { ${mutation}(id: $id) { id } }`;
    expect(await h.failure(seed, 'VIEWER', query, { id: rollout.id })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await h.failure(other, 'TENANT_ADMIN', query, { id: rollout.id })).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    expect(await h.failure(seed, 'OPERATOR', query, { id: 'nope' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect(h.calls.filter((c) => c.input.rolloutId === rollout.id)).toEqual([]);
  });

  it('refuses createRollout to a VIEWER', async () => {
    const { seed, firmware } = await withFirmware();
    const input = { name: 'r', firmwareId: firmware.id, target: { labels: ['a'] }, stages: [{ percent: 100 }] };
    expect(await h.failure(seed, 'VIEWER', CREATE, { i: input })).toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('rollout reads', () => {
  it('counts progress and stage status from the rollout’s devices, and pages them', async () => {
    const { seed, firmware } = await withFirmware();
    const rollout = await seedRollout(h.prisma, seed, firmware.id, {
      state: 'RUNNING',
      stageIndex: 1,
      spec: { target: { profileId: seed.profile.id }, stages: [{ percent: 25 }, { percent: 50, requireApproval: true }, { percent: 100 }] },
    });
    const [d0, d1, d2, d3] = seed.devices.map((d) => d.id) as [string, string, string, string];
    await seedRolloutDevices(h.prisma, seed, rollout.id, [
      [d0, 'UPDATED'],
      [d1, 'DOWNLOADING'],
      [d2, 'FAILED'],
      [d3, 'ASSIGNED'],
    ]);
    await h.prisma.rolloutGateResult.createMany({
      data: [
        { rolloutId: rollout.id, tenantId: seed.tenant.id, stageIndex: 0, gate: 'INSTALL_SUCCESS', passed: true, evidence: { updated: 1, ratio: 1 } },
        { rolloutId: rollout.id, tenantId: seed.tenant.id, stageIndex: 1, gate: 'INSTALL_FAILURE', passed: false, evidence: { failed: 1 } },
      ],
    });
    const read = (
      await h.ok(
        seed,
        'VIEWER',
        `query($id: ID!) { rollout(id: $id) {
          stages { reach status } progress { targeted assigned inProgress updated failed cancelled rollingBack rolledBack }
          all: devices(first: 3) { totalCount pageInfo { hasNextPage endCursor } edges { node { device { id } stageIndex status attempts reason assignedAt finishedAt } } }
          failed: devices(status: FAILED) { totalCount edges { node { device { id } } } }
          gateResults { stageIndex gate passed evidence }
          stage1: gateResults(stageIndex: 1) { gate }
        } }`,
        { id: rollout.id },
      )
    ).rollout;
    expect(read.stages).toEqual([
      { reach: 1, status: 'PASSED' },
      { reach: 2, status: 'ACTIVE' },
      { reach: 4, status: 'PENDING' },
    ]);
    expect(read.progress).toEqual({ targeted: 4, assigned: 4, inProgress: 2, updated: 1, failed: 1, cancelled: 0, rollingBack: 0, rolledBack: 0 });
    expect(read.all.totalCount).toBe(4);
    expect(read.all.pageInfo.hasNextPage).toBe(true);
    expect(read.all.edges.map((e: any) => [e.node.device.id, e.node.status])).toEqual([[d0, 'UPDATED'], [d1, 'DOWNLOADING'], [d2, 'FAILED']]);
    expect(read.all.edges[0].node.finishedAt).not.toBeNull();
    expect(read.failed).toEqual({ totalCount: 1, edges: [{ node: { device: { id: d2 } } }] });
    expect(read.gateResults).toEqual([
      { stageIndex: 0, gate: 'INSTALL_SUCCESS', passed: true, evidence: { updated: 1, ratio: 1 } },
      { stageIndex: 1, gate: 'INSTALL_FAILURE', passed: false, evidence: { failed: 1 } },
    ]);
    expect(read.stage1).toEqual([{ gate: 'INSTALL_FAILURE' }]);
    const rest = (
      await h.ok(seed, 'VIEWER', 'query($id: ID!, $a: String) { rollout(id: $id) { devices(first: 3, after: $a) { pageInfo { hasNextPage } edges { node { device { id } } } } } }', {
        id: rollout.id,
        a: read.all.pageInfo.endCursor,
      })
    ).rollout.devices;
    expect(rest).toEqual({ pageInfo: { hasNextPage: false }, edges: [{ node: { device: { id: d3 } } }] });
  });

  it('lists rollouts newest first with filters, and batches progress over the list', async () => {
    const { seed, firmware } = await withFirmware();
    const second = await seedFirmware(h.prisma, seed);
    const a = await seedRollout(h.prisma, seed, firmware.id, { state: 'SUCCEEDED', stageIndex: 2 });
    const b = await seedRollout(h.prisma, seed, second.id, { state: 'RUNNING' });
    const c = await seedRollout(h.prisma, seed, firmware.id, { spec: { target: { labels: ['site=berlin'] }, stages: [{ percent: 100 }] } });
    await seedRolloutDevices(h.prisma, seed, b.id, [[seed.device.id, 'UPDATED']]);
    const all = (await h.ok(seed, 'VIEWER', '{ rollouts { totalCount edges { node { id state stages { status } progress { targeted updated } firmware { id } } } } }')).rollouts;
    expect(all.totalCount).toBe(3);
    expect(all.edges.map((e: any) => e.node)).toEqual([
      { id: c.id, state: 'DRAFT', stages: [{ status: 'PENDING' }], progress: { targeted: 2, updated: 0 }, firmware: { id: firmware.id } },
      { id: b.id, state: 'RUNNING', stages: [{ status: 'ACTIVE' }, { status: 'PENDING' }], progress: { targeted: 4, updated: 1 }, firmware: { id: second.id } },
      { id: a.id, state: 'SUCCEEDED', stages: [{ status: 'PASSED' }, { status: 'PASSED' }], progress: { targeted: 4, updated: 0 }, firmware: { id: firmware.id } },
    ]);
    const running = (await h.ok(seed, 'VIEWER', '{ rollouts(filter: { state: RUNNING }) { edges { node { id } } } }')).rollouts;
    expect(running.edges).toEqual([{ node: { id: b.id } }]);
    const ofFirmware = (await h.ok(seed, 'VIEWER', 'query($f: ID) { rollouts(filter: { firmwareId: $f }) { totalCount } }', { f: firmware.id })).rollouts;
    expect(ofFirmware.totalCount).toBe(2);
    expect(await h.failure(seed, 'VIEWER', '{ rollouts(filter: { firmwareId: "x" }) { totalCount } }')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.firmwareId' });
  });

  it('hides one tenant’s rollouts, firmware and device firmware from another', async () => {
    const { seed, firmware } = await withFirmware();
    const other = await seedTenant(h.prisma);
    const rollout = await seedRollout(h.prisma, seed, firmware.id, { state: 'RUNNING' });
    await h.prisma.deviceFirmware.create({
      data: { deviceId: seed.device.id, tenantId: seed.tenant.id, currentTitle: 'thermostat-main', currentVersion: '0.9.0', targetFirmwareId: firmware.id, rolloutId: rollout.id, status: 'DOWNLOADING', progress: 40, reportedAt: new Date() },
    });
    expect(await h.failure(other, 'TENANT_ADMIN', 'query($id: ID!) { rollout(id: $id) { id } }', { id: rollout.id })).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    expect((await h.ok(other, 'VIEWER', '{ rollouts { totalCount edges { node { id } } } firmwares { totalCount } }'))).toEqual({ rollouts: { totalCount: 0, edges: [] }, firmwares: { totalCount: 0 } });

    const entities = `query($r: [_Any!]!) { _entities(representations: $r) {
      ... on Device { id firmware { currentTitle currentVersion current { id } target { id version } status progress reportedAt rollout { id name } } }
      ... on Rollout { id name }
      ... on Firmware { id }
    } }`;
    const representations = [
      { __typename: 'Device', id: seed.device.id },
      { __typename: 'Device', id: seed.devices[1]!.id },
      { __typename: 'Rollout', id: rollout.id },
      { __typename: 'Firmware', id: firmware.id },
    ];
    const mine = (await h.ok(seed, 'VIEWER', entities, { r: representations }))._entities;
    expect(mine[0]).toMatchObject({
      id: seed.device.id,
      firmware: { currentTitle: 'thermostat-main', currentVersion: '0.9.0', current: null, target: { id: firmware.id }, status: 'DOWNLOADING', progress: 40, rollout: { id: rollout.id } },
    });
    expect(mine[1]).toEqual({ id: seed.devices[1]!.id, firmware: null });
    expect(mine[2]).toMatchObject({ id: rollout.id });
    expect(mine[3]).toEqual({ id: firmware.id });
    const theirs = (await h.ok(other, 'VIEWER', entities, { r: representations }))._entities;
    expect(theirs).toEqual([{ id: seed.device.id, firmware: null }, { id: seed.devices[1]!.id, firmware: null }, null, null]);
  });
});
