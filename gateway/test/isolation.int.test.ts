import { createHash } from 'node:crypto';
import { buildASTSchema, parse } from 'graphql';
import { eventually } from '@ump/core/src/testing/eventually';
import { codes, gql, ok, type Credentials } from './client';
import { eachMode } from './modes';
import { ADMIN, createTenantWithUsers, login, startTestPlatform, type TestPlatform } from './platform';
import { readSupergraph } from '../src/supergraph';

type World = {
  a: Awaited<ReturnType<typeof createTenantWithUsers>>;
  b: Awaited<ReturnType<typeof createTenantWithUsers>>;
  deviceId: string;
  profileId: string;
  apiKeyId: string;
  ticketId: string;
  ticketPolicyId: string;
  ruleId: string;
  alertId: string;
  suppressionId: string;
  firmwareId: string;
  rolloutId: string;
};

interface Probe {
  query: string;
  vars: (w: World) => Record<string, unknown>;
  /** Codes that are acceptable; `data` means "answers, but must not contain tenant A's data". */
  expect: Array<'NOT_FOUND' | 'FORBIDDEN' | 'BAD_USER_INPUT' | 'data'>;
}

// One probe per public operation: tenant B's admin (the strongest tenant role) aims at tenant A.
const probes: Record<string, Probe> = {
  me: { query: '{ me { tenant { id name } } }', vars: () => ({}), expect: ['data'] },
  tenant: { query: 'query($id: ID!) { tenant(id: $id) { id name } }', vars: (w) => ({ id: w.a.tenant.id }), expect: ['NOT_FOUND'] },
  tenants: { query: '{ tenants { edges { node { id } } } }', vars: () => ({}), expect: ['FORBIDDEN'] },
  user: { query: 'query($id: ID!) { user(id: $id) { id email } }', vars: (w) => ({ id: w.a.VIEWER.id }), expect: ['NOT_FOUND'] },
  users: { query: '{ users(first: 100) { totalCount edges { node { id email } } } }', vars: () => ({}), expect: ['data'] },
  device: { query: 'query($id: ID!) { device(id: $id) { id name } }', vars: (w) => ({ id: w.deviceId }), expect: ['NOT_FOUND'] },
  devices: { query: '{ devices(first: 100) { totalCount edges { node { id name } } } }', vars: () => ({}), expect: ['data'] },
  deviceProfile: { query: 'query($id: ID!) { deviceProfile(id: $id) { id } }', vars: (w) => ({ id: w.profileId }), expect: ['NOT_FOUND'] },
  deviceProfiles: { query: '{ deviceProfiles { id name } }', vars: () => ({}), expect: ['data'] },
  login: { query: 'mutation($e: String!) { login(email: $e, password: "guess guess guess") { token } }', vars: (w) => ({ e: w.a.VIEWER.email }), expect: [] },
  createTenant: { query: 'mutation { createTenant(input: { name: "hijack" }) { id } }', vars: () => ({}), expect: ['FORBIDDEN'] },
  updateTenant: { query: 'mutation($id: ID!) { updateTenant(id: $id, input: { name: "pwned" }) { id } }', vars: (w) => ({ id: w.a.tenant.id }), expect: ['NOT_FOUND'] },
  createUser: {
    query: 'mutation($t: ID!) { createUser(input: { tenantId: $t, email: "mole@example.com", password: "a long enough password", role: VIEWER }) { id } }',
    vars: (w) => ({ t: w.a.tenant.id }),
    expect: ['FORBIDDEN'],
  },
  updateUserRole: { query: 'mutation($id: ID!) { updateUserRole(id: $id, role: VIEWER) { id } }', vars: (w) => ({ id: w.a.OPERATOR.id }), expect: ['NOT_FOUND'] },
  deleteUser: { query: 'mutation($id: ID!) { deleteUser(id: $id) }', vars: (w) => ({ id: w.a.OPERATOR.id }), expect: ['NOT_FOUND'] },
  changePassword: { query: 'mutation { changePassword(currentPassword: "x", newPassword: "another long password") }', vars: () => ({}), expect: [] },
  createApiKey: { query: 'mutation { createApiKey(input: { name: "mine", role: VIEWER }) { apiKey { tenant { id } } } }', vars: () => ({}), expect: ['data'] },
  revokeApiKey: { query: 'mutation($id: ID!) { revokeApiKey(id: $id) { id } }', vars: (w) => ({ id: w.apiKeyId }), expect: ['NOT_FOUND'] },
  createDeviceProfile: { query: 'mutation { createDeviceProfile(input: { name: "b-profile" }) { id } }', vars: () => ({}), expect: ['data'] },
  updateDeviceProfile: { query: 'mutation($id: ID!) { updateDeviceProfile(id: $id, input: { name: "pwned" }) { id } }', vars: (w) => ({ id: w.profileId }), expect: ['NOT_FOUND'] },
  deleteDeviceProfile: { query: 'mutation($id: ID!) { deleteDeviceProfile(id: $id) }', vars: (w) => ({ id: w.profileId }), expect: ['NOT_FOUND'] },
  createDevice: {
    query: 'mutation($p: ID!) { createDevice(input: { name: "b-device", profileId: $p }) { device { id } } }',
    vars: (w) => ({ p: w.profileId }),
    expect: ['BAD_USER_INPUT'],
  },
  updateDevice: { query: 'mutation($id: ID!) { updateDevice(id: $id, input: { name: "pwned" }) { id } }', vars: (w) => ({ id: w.deviceId }), expect: ['NOT_FOUND'] },
  deleteDevice: { query: 'mutation($id: ID!) { deleteDevice(id: $id) }', vars: (w) => ({ id: w.deviceId }), expect: ['NOT_FOUND'] },
  updateDeviceAttributes: { query: 'mutation($id: ID!) { updateDeviceAttributes(id: $id, attributes: { x: 1 }) { id } }', vars: (w) => ({ id: w.deviceId }), expect: ['NOT_FOUND'] },
  rotateDeviceToken: { query: 'mutation($id: ID!) { rotateDeviceToken(id: $id) { accessToken } }', vars: (w) => ({ id: w.deviceId }), expect: ['NOT_FOUND'] },
  tickets: { query: '{ tickets(first: 100) { totalCount edges { node { id title } } } }', vars: () => ({}), expect: ['data'] },
  ticket: { query: 'query($id: ID!) { ticket(id: $id) { id title } }', vars: (w) => ({ id: w.ticketId }), expect: ['NOT_FOUND'] },
  ticketPolicies: { query: '{ ticketPolicies { id name } }', vars: () => ({}), expect: ['data'] },
  createTicketPolicy: {
    query: 'mutation($p: ID!) { createTicketPolicy(input: { name: "b-policy", profileId: $p, priority: P3, slaMinutes: 60 }) { id } }',
    vars: (w) => ({ p: w.profileId }),
    expect: ['BAD_USER_INPUT'],
  },
  updateTicketPolicy: { query: 'mutation($id: ID!) { updateTicketPolicy(id: $id, input: { name: "pwned" }) { id } }', vars: (w) => ({ id: w.ticketPolicyId }), expect: ['NOT_FOUND'] },
  deleteTicketPolicy: { query: 'mutation($id: ID!) { deleteTicketPolicy(id: $id) }', vars: (w) => ({ id: w.ticketPolicyId }), expect: ['NOT_FOUND'] },
  createTicket: { query: 'mutation($u: ID!) { createTicket(input: { title: "b-ticket", assigneeId: $u }) { id } }', vars: (w) => ({ u: w.a.VIEWER.id }), expect: ['BAD_USER_INPUT'] },
  updateTicket: { query: 'mutation($id: ID!) { updateTicket(id: $id, input: { title: "pwned" }) { id } }', vars: (w) => ({ id: w.ticketId }), expect: ['NOT_FOUND'] },
  assignTicket: { query: 'mutation($id: ID!) { assignTicket(id: $id, userId: null) { id } }', vars: (w) => ({ id: w.ticketId }), expect: ['NOT_FOUND'] },
  commentTicket: { query: 'mutation($id: ID!) { commentTicket(id: $id, body: "pwned") { id } }', vars: (w) => ({ id: w.ticketId }), expect: ['NOT_FOUND'] },
  alertRules: { query: '{ alertRules(first: 100) { totalCount edges { node { id name } } } }', vars: () => ({}), expect: ['data'] },
  alertRule: { query: 'query($id: ID!) { alertRule(id: $id) { id name } }', vars: (w) => ({ id: w.ruleId }), expect: ['NOT_FOUND'] },
  alerts: { query: '{ alerts(first: 100) { totalCount edges { node { id device { id } } } } }', vars: () => ({}), expect: ['data'] },
  alert: { query: 'query($id: ID!) { alert(id: $id) { id } }', vars: (w) => ({ id: w.alertId }), expect: ['NOT_FOUND'] },
  alertGroups: { query: '{ alertGroups { count deviceIds rule { id } } }', vars: () => ({}), expect: ['data'] },
  suppressions: { query: '{ suppressions { id name target { deviceId } } }', vars: () => ({}), expect: ['data'] },
  createAlertRule: {
    query: 'mutation($d: ID!) { createAlertRule(input: { name: "b-rule", severity: MAJOR, deviceId: $d, condition: { key: "t", op: GT, value: 1 } }) { id } }',
    vars: (w) => ({ d: w.deviceId }),
    expect: ['BAD_USER_INPUT'],
  },
  updateAlertRule: { query: 'mutation($id: ID!) { updateAlertRule(id: $id, input: { name: "pwned" }) { id } }', vars: (w) => ({ id: w.ruleId }), expect: ['NOT_FOUND'] },
  deleteAlertRule: { query: 'mutation($id: ID!) { deleteAlertRule(id: $id) }', vars: (w) => ({ id: w.ruleId }), expect: ['NOT_FOUND'] },
  acknowledgeAlert: { query: 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }', vars: (w) => ({ id: w.alertId }), expect: ['NOT_FOUND'] },
  clearAlert: { query: 'mutation($id: ID!) { clearAlert(id: $id) { id } }', vars: (w) => ({ id: w.alertId }), expect: ['NOT_FOUND'] },
  assignAlert: { query: 'mutation($id: ID!) { assignAlert(id: $id, userId: null) { id } }', vars: (w) => ({ id: w.alertId }), expect: ['NOT_FOUND'] },
  commentAlert: { query: 'mutation($id: ID!) { commentAlert(id: $id, text: "pwned") { id } }', vars: (w) => ({ id: w.alertId }), expect: ['NOT_FOUND'] },
  createSuppression: {
    query: 'mutation($d: ID!) { createSuppression(input: { name: "b-window", deviceId: $d }) { id } }',
    vars: (w) => ({ d: w.deviceId }),
    expect: ['BAD_USER_INPUT'],
  },
  deleteSuppression: { query: 'mutation($id: ID!) { deleteSuppression(id: $id) }', vars: (w) => ({ id: w.suppressionId }), expect: ['NOT_FOUND'] },
  firmware: { query: 'query($id: ID!) { firmware(id: $id) { id title } }', vars: (w) => ({ id: w.firmwareId }), expect: ['NOT_FOUND'] },
  firmwares: { query: '{ firmwares(first: 100) { totalCount edges { node { id title } } } }', vars: () => ({}), expect: ['data'] },
  uploadFirmware: {
    query: 'mutation($p: ID!) { uploadFirmware(input: { title: "b-fw", version: "1.0.0", profileIds: [$p], contentBase64: "AA==", sha256: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d" }) { id } }',
    vars: (w) => ({ p: w.profileId }),
    expect: ['BAD_USER_INPUT'],
  },
  createFirmwareFromUrl: {
    query: 'mutation($p: ID!) { createFirmwareFromUrl(input: { title: "b-fw", version: "1.0.0", profileIds: [$p], url: "http://127.0.0.1:9/fw.bin", sha256: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d" }) { id } }',
    vars: (w) => ({ p: w.profileId }),
    expect: ['BAD_USER_INPUT'],
  },
  deleteFirmware: { query: 'mutation($id: ID!) { deleteFirmware(id: $id) }', vars: (w) => ({ id: w.firmwareId }), expect: ['NOT_FOUND'] },
  rollout: { query: 'query($id: ID!) { rollout(id: $id) { id name } }', vars: (w) => ({ id: w.rolloutId }), expect: ['NOT_FOUND'] },
  rollouts: { query: '{ rollouts(first: 100) { totalCount edges { node { id name } } } }', vars: () => ({}), expect: ['data'] },
  createRollout: {
    query: 'mutation($f: ID!) { createRollout(input: { name: "b-rollout", firmwareId: $f, target: { labels: ["x"] }, stages: [{ percent: 100 }] }) { id } }',
    vars: (w) => ({ f: w.firmwareId }),
    expect: ['NOT_FOUND'],
  },
  ...Object.fromEntries(
    ['startRollout', 'pauseRollout', 'resumeRollout', 'approveRolloutStage', 'rejectRolloutStage', 'abortRollout', 'rollbackRollout', 'cancelRollout'].map((name) => [
      name,
      { query: `mutation($id: ID!) { ${name}(id: $id, reason: "pwned") { id state } }`, vars: (w: World) => ({ id: w.rolloutId }), expect: ['NOT_FOUND'] } satisfies Probe,
    ]),
  ),
};

it('has an isolation probe for every public query and mutation', () => {
  const schema = buildASTSchema(parse(readSupergraph()), { assumeValidSDL: true });
  const fields = [schema.getQueryType(), schema.getMutationType()].flatMap((type) =>
    Object.values(type!.getFields())
      .filter((f) => !f.astNode?.directives?.some((d) => d.name.value === 'inaccessible'))
      .map((f) => f.name),
  );
  expect(fields.filter((name) => !probes[name]).sort()).toEqual([]);
});

eachMode('tenant isolation', (mode) => {
  let p: TestPlatform;
  let w: World;
  let snapshot: string;
  const aView = (creds: Credentials) =>
    ok(p.url, '{ me { tenant { id name } } devices(first: 100) { edges { node { id name } } } deviceProfiles { id name } users(first: 100) { edges { node { id email role } } } }', {}, creds);

  beforeAll(async () => {
    p = await startTestPlatform(mode);
    const admin = await login(p.url, ADMIN.email, ADMIN.password);
    const a = await createTenantWithUsers(p.url, admin);
    const b = await createTenantWithUsers(p.url, admin);
    const profileId = (await ok(p.url, 'mutation { createDeviceProfile(input: { name: "a-profile" }) { id } }', {}, a.OPERATOR)).createDeviceProfile.id;
    const deviceId = (await ok(p.url, 'mutation($p: ID!) { createDevice(input: { name: "a-secret-device", profileId: $p }) { device { id } } }', { p: profileId }, a.OPERATOR)).createDevice.device.id;
    const apiKeyId = (await ok(p.url, 'mutation { createApiKey(input: { name: "a-key", role: VIEWER }) { apiKey { id } } }', {}, a.TENANT_ADMIN)).createApiKey.apiKey.id;
    const ticketId = (await ok(p.url, 'mutation { createTicket(input: { title: "a-secret-ticket" }) { id } }', {}, a.OPERATOR)).createTicket.id;
    const ticketPolicyId = (await ok(p.url, 'mutation { createTicketPolicy(input: { name: "a-policy", priority: P2, slaMinutes: 30 }) { id } }', {}, a.OPERATOR)).createTicketPolicy.id;
    const ruleId = (await ok(p.url, 'mutation($d: ID!) { createAlertRule(input: { name: "a-rule", severity: MAJOR, deviceId: $d, condition: { key: "t", op: GT, value: 1 } }) { id } }', { d: deviceId }, a.OPERATOR)).createAlertRule.id;
    const suppressionId = (await ok(p.url, 'mutation($p: ID!) { createSuppression(input: { name: "a-window", profileId: $p, startsAt: "2000-01-01T00:00:00Z", endsAt: "2000-01-02T00:00:00Z" }) { id } }', { p: profileId }, a.OPERATOR)).createSuppression.id;
    // An alert of tenant A, raised the way the rule worker raises one: a signal on the bus.
    const signal = { signalId: `iso:${ruleId}`, type: 'firing', tenantId: a.tenant.id, ruleId, deviceId, severity: 'MAJOR', at: Date.now(), evidence: { text: 't 2 > 1' } };
    await p.platform.eventBus.publish('alert.signals.v1', [{ key: deviceId, value: signal }]);
    const alertId = await eventually(async () => (await ok(p.url, '{ alerts(first: 1) { edges { node { id } } } }', {}, a.VIEWER)).alerts.edges[0]?.node.id as string | undefined, { timeoutMs: 20_000 });
    const content = Buffer.from('a-firmware-image');
    const firmwareId = (
      await ok(p.url, 'mutation($c: String!, $s: String!) { uploadFirmware(input: { title: "a-fw", version: "1.0.0", contentBase64: $c, sha256: $s }) { id } }', {
        c: content.toString('base64'),
        s: createHash('sha256').update(content).digest('hex'),
      }, a.OPERATOR)
    ).uploadFirmware.id;
    const rolloutId = (
      await ok(p.url, 'mutation($f: ID!, $d: ID!) { createRollout(input: { name: "a-rollout", firmwareId: $f, target: { deviceIds: [$d] }, stages: [{ percent: 100 }] }) { id } }', { f: firmwareId, d: deviceId }, a.OPERATOR)
    ).createRollout.id;
    w = { a, b, deviceId, profileId, apiKeyId, ticketId, ticketPolicyId, ruleId, alertId, suppressionId, firmwareId, rolloutId };
    snapshot = JSON.stringify(await aView(a.TENANT_ADMIN));
  });
  afterAll(() => p?.close());

  it.each(Object.keys(probes))('%s: tenant B gets nothing of tenant A', async (name) => {
    const probe = probes[name]!;
    const result = await gql(p.url, probe.query, probe.vars(w), w.b.TENANT_ADMIN);
    const body = JSON.stringify(result.data ?? {});
    for (const secret of [w.a.tenant.id, w.a.tenant.name, w.deviceId, w.profileId, w.apiKeyId, w.a.VIEWER.email, 'a-secret-device', w.ticketId, w.ticketPolicyId, 'a-secret-ticket', w.ruleId, w.alertId, w.suppressionId, 'a-rule', 'a-window', w.firmwareId, w.rolloutId, 'a-fw', 'a-rollout']) {
      expect(body).not.toContain(secret);
    }
    if (probe.expect.includes('data')) expect(result.errors).toBeUndefined();
    else if (probe.expect.length) expect(codes(result)).toEqual(probe.expect);
  });

  it("leaves tenant A's data exactly as it was", async () => {
    expect(JSON.stringify(await aView(w.a.TENANT_ADMIN))).toBe(snapshot);
  });

  it("lets an API key of tenant B see none of tenant A's devices", async () => {
    const key = (await ok(p.url, 'mutation { createApiKey(input: { name: "b-key", role: VIEWER }) { key } }', {}, w.b.TENANT_ADMIN)).createApiKey.key;
    const res = await gql(p.url, 'query($id: ID!) { device(id: $id) { id } }', { id: w.deviceId }, { apiKey: key });
    expect(codes(res)).toEqual(['NOT_FOUND']);
  });
});
