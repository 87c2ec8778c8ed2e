import { codes, gql, ok } from './client';
import { eachMode } from './modes';
import { ADMIN, createTenantWithUsers, login, startTestPlatform, type TestPlatform } from './platform';

const CREATE_DEVICE = 'mutation($i: CreateDeviceInput!) { createDevice(input: $i) { device { id name labels attributes profile { id name } } accessToken } }';
const DEVICES = `query($first: Int, $after: String, $filter: DeviceFilter) {
  devices(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name labels } }
  }
}`;

eachMode('devices and profiles', (mode) => {
  let p: TestPlatform;
  let t: Awaited<ReturnType<typeof createTenantWithUsers>>;
  beforeAll(async () => {
    p = await startTestPlatform(mode);
    t = await createTenantWithUsers(p.url, await login(p.url, ADMIN.email, ADMIN.password));
  });
  afterAll(() => p?.close());

  it('creates, reads, updates and deletes a device', async () => {
    const profile = (await ok(p.url, 'mutation { createDeviceProfile(input: { name: "thermostat", inactivityTimeoutSeconds: 120 }) { id name inactivityTimeoutSeconds } }', {}, t.OPERATOR)).createDeviceProfile;
    expect(profile).toMatchObject({ name: 'thermostat', inactivityTimeoutSeconds: 120 });

    const created = (await ok(p.url, CREATE_DEVICE, { i: { name: 'boiler-1', profileId: profile.id, labels: ['site=berlin', 'floor-3'], attributes: { serial: 'A1' } } }, t.OPERATOR)).createDevice;
    expect(created.accessToken).toMatch(/^[A-Za-z0-9_-]{27}$/);
    expect(created.device).toMatchObject({ name: 'boiler-1', labels: ['site=berlin', 'floor-3'], attributes: { serial: 'A1' }, profile: { id: profile.id, name: 'thermostat' } });

    const read = await ok(p.url, 'query($id: ID!) { device(id: $id) { id name tenant { id name } profile { deviceCount } } }', { id: created.device.id }, t.VIEWER);
    expect(read.device).toEqual({ id: created.device.id, name: 'boiler-1', tenant: { id: t.tenant.id, name: t.tenant.name }, profile: { deviceCount: 1 } });

    const updated = await ok(p.url, 'mutation($id: ID!) { updateDevice(id: $id, input: { name: "boiler-one", labels: ["x"], profileId: null }) { name labels profile { id } } }', { id: created.device.id }, t.OPERATOR);
    expect(updated.updateDevice).toEqual({ name: 'boiler-one', labels: ['x'], profile: null });

    const merged = await ok(p.url, 'mutation($id: ID!) { updateDeviceAttributes(id: $id, attributes: { fw: "1.2", serial: null }) { attributes } }', { id: created.device.id }, t.OPERATOR);
    expect(merged.updateDeviceAttributes.attributes).toEqual({ fw: '1.2' });

    const rotated = await ok(p.url, 'mutation($id: ID!) { rotateDeviceToken(id: $id) { accessToken device { id } } }', { id: created.device.id }, t.OPERATOR);
    expect(rotated.rotateDeviceToken.accessToken).not.toBe(created.accessToken);

    expect((await ok(p.url, 'mutation($id: ID!) { deleteDevice(id: $id) }', { id: created.device.id }, t.OPERATOR)).deleteDevice).toBe(created.device.id);
    expect(codes(await gql(p.url, 'query($id: ID!) { device(id: $id) { id } }', { id: created.device.id }, t.VIEWER))).toEqual(['NOT_FOUND']);
  });

  it('refuses a duplicate device name with CONFLICT naming the field', async () => {
    await ok(p.url, CREATE_DEVICE, { i: { name: 'twin' } }, t.OPERATOR);
    const again = await gql(p.url, CREATE_DEVICE, { i: { name: 'twin' } }, t.OPERATOR);
    expect(codes(again)).toEqual(['CONFLICT']);
    expect(again.errors![0]!.extensions!.field).toBe('input.name');
  });

  it('pages through devices with cursors and a stable totalCount, with filters and search', async () => {
    const other = await createTenantWithUsers(p.url, await login(p.url, ADMIN.email, ADMIN.password));
    for (let i = 0; i < 25; i++) {
      await ok(p.url, CREATE_DEVICE, { i: { name: `sensor-${String(i).padStart(2, '0')}`, labels: i % 2 ? ['odd'] : ['even', 'site=hh'] } }, other.OPERATOR);
    }
    const seen: string[] = [];
    let after: string | null = null;
    const pages: number[] = [];
    do {
      const page: any = (await ok(p.url, DEVICES, { first: 10, after }, other.VIEWER)).devices;
      expect(page.totalCount).toBe(25);
      pages.push(page.edges.length);
      seen.push(...page.edges.map((e: any) => e.node.name));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(pages).toEqual([10, 10, 5]);
    expect(new Set(seen).size).toBe(25);

    const even = (await ok(p.url, DEVICES, { first: 100, filter: { labels: ['even', 'site=hh'] } }, other.VIEWER)).devices;
    expect(even.totalCount).toBe(13);
    expect(even.edges.every((e: any) => e.node.labels.includes('even'))).toBe(true);

    const search = (await ok(p.url, DEVICES, { first: 100, filter: { search: 'SENSOR-1' } }, other.VIEWER)).devices;
    expect(search.edges.map((e: any) => e.node.name).sort()).toEqual(['sensor-10', 'sensor-11', 'sensor-12', 'sensor-13', 'sensor-14', 'sensor-15', 'sensor-16', 'sensor-17', 'sensor-18', 'sensor-19']);
  });

  it('resolves Tenant.devices in the device subgraph, through federation', async () => {
    const admin = await login(p.url, ADMIN.email, ADMIN.password);
    const data = await ok(p.url, 'query($id: ID!) { tenant(id: $id) { name devices(first: 5) { totalCount } deviceProfiles { name } } }', { id: t.tenant.id }, admin);
    expect(data.tenant.name).toBe(t.tenant.name);
    expect(data.tenant.devices.totalCount).toBeGreaterThan(0);
  });
});
