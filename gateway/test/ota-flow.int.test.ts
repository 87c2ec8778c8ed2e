import { createHash, randomBytes } from 'node:crypto';
import { eventually } from '@ump/core/src/testing/eventually';
import { startSimulation, type SimulationHandle, type SimulationOptions } from '@ump/ingest/src/simulator';
import { codes, gql, ok, type Credentials } from './client';
import { eachMode } from './modes';
import { ADMIN, createTenantWithUsers, login, startTestPlatform, type TestPlatform } from './platform';
import { subscribeTo } from './subscriber';

// The acceptance paths of the OTA issue, end to end: simulated devices (the simulator's OTA
// agents over MQTT and HTTP) take firmware from the intake, report progress, and the rollout
// engine promotes, aborts, rolls back or waits for approval on what they report and on how
// they behave afterwards.

const UPLOAD = 'mutation($input: UploadFirmwareInput!) { uploadFirmware(input: $input) { id version sha256 size } }';
const CREATE_ROLLOUT = 'mutation($input: CreateRolloutInput!) { createRollout(input: $input) { id state } }';
const START = 'mutation($id: ID!) { startRollout(id: $id, reason: "go") { id state } }';
const ROLLOUT = `query($id: ID!) { rollout(id: $id) {
  state stageIndex awaitingApproval
  progress { targeted assigned updated failed cancelled rolledBack }
  transitions { fromState toState stageIndex actorId reason }
  gateResults { stageIndex gate passed evidence }
} }`;
const FIRMWARE_OF = 'query($id: ID!) { device(id: $id) { firmware { currentVersion current { version } } } }';
const EVENTS = `subscription($id: ID!) { rolloutEvents(rolloutId: $id) { type stageIndex deviceId rollout { id state firmware { version } } } }`;

interface RolloutView {
  state: string;
  stageIndex: number;
  awaitingApproval: boolean;
  progress: { targeted: number; assigned: number; updated: number; failed: number; cancelled: number; rolledBack: number };
  transitions: Array<{ fromState: string | null; toState: string; stageIndex: number; actorId: string | null; reason: string | null }>;
  gateResults: Array<{ stageIndex: number; gate: string; passed: boolean; evidence: Record<string, unknown> }>;
}

eachMode('OTA rollouts with simulated devices', (mode) => {
  let p: TestPlatform;
  let admin: Credentials;
  const running: SimulationHandle[] = [];
  beforeAll(async () => {
    // A fast engine tick: stages promote within a second of their last device's report.
    p = await startTestPlatform(mode, { ota: { tickMs: 300 } });
    admin = await login(p.url, ADMIN.email, ADMIN.password);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });
  afterAll(() => p?.close());

  const upload = async (who: Credentials, version: string) => {
    const content = randomBytes(48 * 1024);
    const sha256 = createHash('sha256').update(content).digest('hex');
    return (await ok(p.url, UPLOAD, { input: { title: 'ump-sim', version, contentBase64: content.toString('base64'), sha256 } }, who)).uploadFirmware as { id: string };
  };
  /** A tenant whose fleet runs ump-sim 1.0.0 (known to the platform, so a rollback has somewhere to go). */
  const fleet = async (devices: number, extra: Partial<SimulationOptions> = {}) => {
    const t = await createTenantWithUsers(p.url, admin);
    await upload(t.OPERATOR, '1.0.0');
    const sim = startSimulation({
      devices,
      rate: 1,
      protocol: 'mqtt',
      apiUrl: p.url,
      intakeHttpUrl: p.intakeUrl,
      mqttUrl: p.mqttUrl,
      email: ADMIN.email,
      password: ADMIN.password,
      tenant: t.tenant.name,
      keys: ['temperature'],
      batch: 1,
      firmware: { title: 'ump-sim', version: '1.0.0' },
      ...extra,
      ota: { installMs: 200, pollSeconds: 1, ...extra.ota },
    });
    running.push(sim);
    const started = await sim.ready;
    // Every device has announced 1.0.0 and the platform has resolved it to the package.
    await eventually(
      async () => {
        for (const d of started.devices) {
          const firmware = (await ok(p.url, FIRMWARE_OF, { id: d.id }, t.VIEWER)).device.firmware;
          if (firmware?.current?.version !== '1.0.0') return false;
        }
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 300, what: 'every device to report ump-sim 1.0.0' },
    );
    return { t, sim, devices: started.devices };
  };
  const rollout = (who: Credentials, id: string) => ok(p.url, ROLLOUT, { id }, who).then((d) => d.rollout as RolloutView);
  const waitForState = (who: Credentials, id: string, state: string, timeoutMs = 60_000) =>
    eventually(async () => {
      const r = await rollout(who, id);
      return r.state === state ? r : null;
    }, { timeoutMs, intervalMs: 300, what: `rollout ${state}` });
  const versions = async (who: Credentials, ids: string[]) =>
    Promise.all(ids.map(async (id) => (await ok(p.url, FIRMWARE_OF, { id }, who)).device.firmware.currentVersion as string));

  it('rolls a healthy firmware through every stage to SUCCEEDED, live, and only for its tenant', async () => {
    const { t, devices } = await fleet(10);
    const other = await createTenantWithUsers(p.url, admin);
    const v11 = await upload(t.OPERATOR, '1.1.0');
    const { id } = (
      await ok(p.url, CREATE_ROLLOUT, {
        input: { name: 'spring', firmwareId: v11.id, target: { labels: ['simulator'] }, stages: [{ percent: 10 }, { percent: 50 }, { percent: 100 }], gates: { minSuccessRatio: 1 } },
      }, t.OPERATOR)
    ).createRollout;
    const watcher = await subscribeTo<any>(p.url, t.VIEWER, EVENTS, { id }, 'rolloutEvents');
    const stranger = await subscribeTo<any>(p.url, other.TENANT_ADMIN, EVENTS, { id }, 'rolloutEvents');
    try {
      expect(codes(await gql(p.url, START, { id }, t.VIEWER))).toEqual(['FORBIDDEN']);
      expect(codes(await gql(p.url, START, { id }, other.TENANT_ADMIN))).toEqual(['NOT_FOUND']);
      expect((await ok(p.url, START, { id }, t.OPERATOR)).startRollout.state).toBe('RUNNING');
      const done = await waitForState(t.VIEWER, id, 'SUCCEEDED');
      expect(done.progress).toMatchObject({ targeted: 10, assigned: 10, updated: 10, failed: 0 });
      expect(done.transitions.map((x) => `${x.fromState}>${x.toState}`)).toEqual(['null>DRAFT', 'DRAFT>RUNNING', 'RUNNING>SUCCEEDED']);
      expect(done.gateResults.filter((g) => g.gate === 'INSTALL_SUCCESS' && g.passed).map((g) => g.stageIndex).sort()).toEqual([0, 1, 2]);
      expect(await versions(t.VIEWER, devices.map((d) => d.id))).toEqual(devices.map(() => '1.1.0'));

      // Live: every stage start and the final state reached the tenant's subscriber, with
      // the rollout resolved through the graph; the other tenant's subscriber got nothing.
      await eventually(() => watcher.received.some((e) => e.type === 'STATE_CHANGED' && e.rollout.state === 'SUCCEEDED'), { what: 'the SUCCEEDED event' });
      expect(watcher.received.filter((e) => e.type === 'STAGE_STARTED').map((e) => e.stageIndex)).toEqual([0, 1, 2]);
      expect(watcher.received.filter((e) => e.type === 'DEVICE_PROGRESS').length).toBeGreaterThanOrEqual(10);
      expect(watcher.received[0].rollout).toMatchObject({ id, firmware: { version: '1.1.0' } });
      expect([watcher.errors, stranger.received, stranger.errors]).toEqual([[], [], []]);

      // The other tenant can neither see nor touch it.
      expect(codes(await gql(p.url, ROLLOUT, { id }, other.TENANT_ADMIN))).toEqual(['NOT_FOUND']);
      expect(codes(await gql(p.url, 'mutation($id: ID!) { rollbackRollout(id: $id) { id } }', { id }, other.TENANT_ADMIN))).toEqual(['NOT_FOUND']);

      // Analytics: per-stage statistics from the rollout history in the telemetry store.
      await eventually(async () => {
        const stats = (await ok(p.url, 'query($id: ID!) { rollout(id: $id) { stageStats { stageIndex updated } } }', { id }, t.VIEWER)).rollout.stageStats;
        return stats.map((s: { updated: number }) => s.updated).join(',') === '1,4,5';
      }, { timeoutMs: 20_000, what: 'stage statistics 1/4/5 updated' });
    } finally {
      await Promise.all([watcher.close(), stranger.close()]);
    }
  });

  it('aborts at the canary when 30% of installs fail, and assigns no one past it', async () => {
    // HTTP devices that poll; exactly 30% of them fail, spread evenly in the order rollouts pick.
    const { t } = await fleet(20, { protocol: 'http', ota: { failureRate: 0.3, failureSpread: true } });
    const flaky = await upload(t.OPERATOR, '1.2.0-flaky');
    const { id } = (
      await ok(p.url, CREATE_ROLLOUT, {
        input: { name: 'flaky', firmwareId: flaky.id, target: { labels: ['simulator'] }, stages: [{ count: 10 }, { percent: 100 }], gates: { minSample: 10, maxFailureRatio: 0.2 } },
      }, t.OPERATOR)
    ).createRollout;
    await ok(p.url, START, { id }, t.OPERATOR);
    const aborted = await waitForState(t.VIEWER, id, 'ABORTED');
    expect(aborted.stageIndex).toBe(0);
    expect(aborted.progress).toMatchObject({ targeted: 20, assigned: 10, updated: 7, failed: 3 });
    const gate = aborted.gateResults.find((g) => g.gate === 'INSTALL_FAILURE')!;
    expect(gate).toMatchObject({ stageIndex: 0, passed: false, evidence: { failed: 3, final: 10 } });
  });

  it('stops a firmware that installs fine but raises the alert rate, and rolls the fleet back', async () => {
    // 2.0.0-bad makes temperature read 25 °C high: over the rule's 35 °C on every point.
    const { t, devices } = await fleet(10, { behaviours: [{ version: '2.0.0-bad', key: 'temperature', delta: 25 }] });
    await ok(p.url, 'mutation($input: CreateAlertRuleInput!) { createAlertRule(input: $input) { id } }', {
      input: { name: 'too hot', severity: 'MAJOR', labels: ['simulator'], condition: { key: 'temperature', op: 'GT', value: 35 } },
    }, t.OPERATOR);
    const bad = await upload(t.OPERATOR, '2.0.0-bad');
    const { id } = (
      await ok(p.url, CREATE_ROLLOUT, {
        input: {
          name: 'hot',
          firmwareId: bad.id,
          target: { labels: ['simulator'] },
          stages: [{ percent: 50 }, { percent: 100 }],
          gates: { observeSeconds: 5, alertRate: { maxIncreasePercent: 20, minAlerts: 1 } },
        },
      }, t.OPERATOR)
    ).createRollout;
    await ok(p.url, START, { id }, t.OPERATOR);
    const rolledBack = await waitForState(t.VIEWER, id, 'ROLLED_BACK', 90_000);
    expect(rolledBack.stageIndex).toBe(0);
    const gate = rolledBack.gateResults.find((g) => g.gate === 'ALERT_RATE')!;
    expect(gate).toMatchObject({ stageIndex: 0, passed: false });
    expect(JSON.stringify(gate.evidence)).toMatch(/rate/i);
    // The five updated devices go back to 1.0.0; the five others never left it.
    await eventually(async () => (await versions(t.VIEWER, devices.map((d) => d.id))).every((v) => v === '1.0.0'), {
      timeoutMs: 30_000,
      what: 'every device back on 1.0.0',
    });
    await eventually(async () => (await rollout(t.VIEWER, id)).progress.rolledBack === 5, { timeoutMs: 15_000, what: 'five devices ROLLED_BACK' });
    // Analytics: the alerts count against the firmware the devices ran when they were raised.
    const window = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };
    await eventually(async () => {
      const rates = (await ok(p.url, 'query($id: ID!, $from: DateTime!, $to: DateTime!) { tenant(id: $id) { firmwareAlertRates(from: $from, to: $to) { firmwareVersion alertsRaised } } }', { id: t.tenant.id, ...window }, t.VIEWER)).tenant.firmwareAlertRates as Array<{ firmwareVersion: string | null; alertsRaised: number }>;
      return rates.find((r) => r.firmwareVersion === '2.0.0-bad')?.alertsRaised === 5;
    }, { timeoutMs: 20_000, what: 'the five alerts counted against 2.0.0-bad' });
  }, 180_000);

  it('waits for approval between stages, and records who approved', async () => {
    const { t } = await fleet(4);
    const v13 = await upload(t.OPERATOR, '1.3.0');
    const { id } = (
      await ok(p.url, CREATE_ROLLOUT, {
        input: { name: 'careful', firmwareId: v13.id, target: { labels: ['simulator'] }, stages: [{ percent: 50, requireApproval: true }, { percent: 100 }] },
      }, t.OPERATOR)
    ).createRollout;
    await ok(p.url, START, { id }, t.OPERATOR);
    const waiting = await waitForState(t.VIEWER, id, 'PAUSED');
    expect(waiting).toMatchObject({ awaitingApproval: true, stageIndex: 0, progress: { assigned: 2, updated: 2 } });
    const approve = 'mutation($id: ID!) { approveRolloutStage(id: $id, reason: "canary looks good") { state } }';
    expect(codes(await gql(p.url, approve, { id }, t.VIEWER))).toEqual(['FORBIDDEN']);
    expect((await ok(p.url, approve, { id }, t.OPERATOR)).approveRolloutStage.state).toBe('RUNNING');
    const done = await waitForState(t.VIEWER, id, 'SUCCEEDED');
    const approval = done.gateResults.find((g) => g.gate === 'APPROVAL')!;
    expect(approval).toMatchObject({ stageIndex: 0, passed: true });
    expect(JSON.stringify(approval.evidence)).toContain('canary looks good');
    expect(done.transitions.some((x) => x.fromState === 'PAUSED' && x.toState === 'RUNNING' && x.actorId === t.OPERATOR.id)).toBe(true);
  });

  it('refuses corrupt uploads and checksum mismatches, keeping nothing', async () => {
    const t = await createTenantWithUsers(p.url, admin);
    const content = randomBytes(1024);
    const wrong = createHash('sha256').update('something else').digest('hex');
    const mismatch = await gql(p.url, UPLOAD, { input: { title: 'fw', version: '1.0.0', contentBase64: content.toString('base64'), sha256: wrong } }, t.OPERATOR);
    expect(codes(mismatch)).toEqual(['BAD_USER_INPUT']);
    expect(mismatch.errors![0]!.extensions!.field).toBe('input.sha256');
    const corrupt = await gql(p.url, UPLOAD, { input: { title: 'fw', version: '1.0.0', contentBase64: '###not base64###', sha256: wrong } }, t.OPERATOR);
    expect(codes(corrupt)).toEqual(['BAD_USER_INPUT']);
    expect(corrupt.errors![0]!.extensions!.field).toBe('input.contentBase64');
    expect((await ok(p.url, 'query { firmwares { totalCount } }', {}, t.VIEWER)).firmwares.totalCount).toBe(0);
  });
});
