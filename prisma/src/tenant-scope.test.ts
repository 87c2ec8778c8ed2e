// The tenant isolation mechanism, against a real (in-memory PGlite) database: a client from
// forTenant(prisma, A) must neither see nor change tenant B's rows, whatever the query asks.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Identity } from '@ump/core';
import { isRecordNotFound } from './errors';
import type { PrismaClient } from './generated/client';
import { loadDatamodel } from './dmmf';
import { allTenants, dbFor, forTenant, relationFields, tenantOwnedModels, type TenantDb } from './tenant-scope';
import { createEmbeddedTestDatabase, type EmbeddedTestDatabase } from './testing';

// Starting and migrating a PGlite takes a second or two, more on a cold cache.
jest.setTimeout(60_000);

const tokenHash = () => randomBytes(16).toString('hex');

interface Seeded {
  tenant: { id: string; name: string };
  users: string[];
  profile: string;
  devices: string[];
  apiKey: string;
}

let test: EmbeddedTestDatabase;
let raw: PrismaClient;
let A: Seeded;
let B: Seeded;
let admin: string; // a platform admin, in no tenant
let scoped: TenantDb; // forTenant(raw, A)

async function seed(name: string, prefix: string): Promise<Seeded> {
  const tenant = await raw.tenant.create({ data: { name } });
  const users = [];
  for (const [i, role] of (['TENANT_ADMIN', 'VIEWER'] as const).entries()) {
    users.push((await raw.user.create({ data: { tenantId: tenant.id, email: `${prefix}${i}@${name}.test`, passwordHash: 'x', role } })).id);
  }
  const profile = (await raw.deviceProfile.create({ data: { tenantId: tenant.id, name: 'thermostat' } })).id;
  const devices = [];
  for (const n of [1, 2, 3]) {
    const device = await raw.device.create({
      data: {
        tenantId: tenant.id,
        name: `${prefix}-device-${n}`,
        labels: [`tenant=${prefix}`, n === 1 ? 'shared=yes' : 'shared=no'],
        profileId: n === 3 ? null : profile,
        credential: { create: { tenantId: tenant.id, tokenHash: tokenHash() } },
      },
    });
    devices.push(device.id);
  }
  const apiKey = (await raw.apiKey.create({ data: { tenantId: tenant.id, name: 'erp', role: 'VIEWER', secretHash: 'h' } })).id;
  return { tenant, users, profile, devices, apiKey };
}

/** A device directly in `tenantId`, through the raw client, for tests that change rows. */
const rawDevice = async (tenantId: string, name = `tmp-${randomUUID()}`) => raw.device.create({ data: { tenantId, name } });

/** The rejection of `promise` (fails when it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

beforeAll(async () => {
  test = await createEmbeddedTestDatabase();
  raw = test.db.prisma;
  A = await seed('acme', 'a');
  B = await seed('bravo', 'b');
  admin = (await raw.user.create({ data: { tenantId: null, email: 'root@ump.test', passwordHash: 'x', role: 'PLATFORM_ADMIN' } })).id;
  scoped = forTenant(raw, A.tenant.id);
});

afterAll(() => test?.drop());

describe('forTenant: reads', () => {
  it('findMany on every tenant-owned model returns exactly the tenant’s rows', async () => {
    const ids = (rows: { id?: string; deviceId?: string }[]) => rows.map((r) => r.id ?? r.deviceId).sort();
    const rawA = { tenantId: A.tenant.id };
    expect(ids(await scoped.user.findMany())).toEqual(ids(await raw.user.findMany({ where: rawA })));
    expect(ids(await scoped.apiKey.findMany())).toEqual([A.apiKey]);
    expect(ids(await scoped.deviceProfile.findMany())).toEqual([A.profile]);
    expect(ids(await scoped.device.findMany())).toEqual(ids(await raw.device.findMany({ where: rawA })));
    expect(ids(await scoped.deviceCredential.findMany())).toEqual(ids(await raw.deviceCredential.findMany({ where: rawA })));
    // Sanity: B's rows are there to be seen by the raw client.
    expect(await raw.device.count({ where: { tenantId: B.tenant.id } })).toBeGreaterThan(0);
    for (const device of await scoped.device.findMany()) expect(device.tenantId).toBe(A.tenant.id);
  });

  it('findMany keeps the caller’s filter, order and paging', async () => {
    const rows = await scoped.device.findMany({ where: { labels: { has: 'shared=no' } }, orderBy: { name: 'desc' }, take: 1 });
    expect(rows.map((d) => d.name)).toEqual(['a-device-3']);
  });

  it('a filter that matches rows of both tenants returns only the tenant’s', async () => {
    const rows = await scoped.device.findMany({ where: { labels: { has: 'shared=yes' } } });
    expect(rows.map((d) => d.id)).toEqual([A.devices[0]]);
  });

  it('a filter explicitly asking for the other tenant finds nothing', async () => {
    expect(await scoped.device.findMany({ where: { tenantId: B.tenant.id } })).toEqual([]);
    expect(await scoped.device.count({ where: { tenantId: B.tenant.id } })).toBe(0);
    expect(await scoped.user.findFirst({ where: { tenantId: B.tenant.id } })).toBeNull();
    expect(await scoped.device.findMany({ where: { id: { in: B.devices } } })).toEqual([]);
  });

  it('an OR reaching for the other tenant is still confined', async () => {
    const rows = await scoped.device.findMany({ where: { OR: [{ tenantId: B.tenant.id }, { name: 'a-device-2' }] } });
    expect(rows.map((d) => d.name)).toEqual(['a-device-2']);
  });

  it('keeps the caller’s own AND, as an object or a list', async () => {
    expect(await scoped.device.findMany({ where: { AND: { name: 'b-device-1' } } })).toEqual([]);
    expect(await scoped.device.findMany({ where: { AND: [{ name: 'b-device-1' }] } })).toEqual([]);
    const both = await scoped.device.findMany({ where: { AND: [{ labels: { has: 'shared=no' } }, { profileId: null }] } });
    expect(both.map((d) => d.name)).toEqual(['a-device-3']);
  });

  it('count counts only the tenant’s rows', async () => {
    expect(await scoped.device.count()).toBe(await raw.device.count({ where: { tenantId: A.tenant.id } }));
    expect(await scoped.user.count()).toBe(await raw.user.count({ where: { tenantId: A.tenant.id } }));
    expect(await scoped.apiKey.count()).toBe(await raw.apiKey.count({ where: { tenantId: A.tenant.id } }));
    expect(await scoped.deviceCredential.count()).toBe(await raw.deviceCredential.count({ where: { tenantId: A.tenant.id } }));
    expect(await scoped.device.count({ where: { name: { startsWith: 'b-' } } })).toBe(0);
  });

  it('findFirst finds the tenant’s row and not the other tenant’s', async () => {
    expect((await scoped.device.findFirst({ where: { name: 'a-device-1' } }))?.id).toBe(A.devices[0]);
    expect(await scoped.device.findFirst({ where: { name: 'b-device-1' } })).toBeNull();
    expect(await scoped.user.findFirst({ where: { email: 'b0@bravo.test' } })).toBeNull();
  });

  it('findFirstOrThrow of the other tenant’s row throws P2025', async () => {
    expect(isRecordNotFound(await rejectionOf(scoped.device.findFirstOrThrow({ where: { id: B.devices[0] } })))).toBe(true);
  });

  it('findUnique of the other tenant’s device by id is null, though the row exists', async () => {
    expect(await raw.device.findUnique({ where: { id: B.devices[0] } })).not.toBeNull();
    expect(await scoped.device.findUnique({ where: { id: B.devices[0] } })).toBeNull();
    expect((await scoped.device.findUnique({ where: { id: A.devices[0] } }))?.name).toBe('a-device-1');
  });

  it('findUnique is confined for every tenant-owned model and unique key', async () => {
    expect(await scoped.user.findUnique({ where: { id: B.users[0] } })).toBeNull();
    expect(await scoped.user.findUnique({ where: { email: 'b0@bravo.test' } })).toBeNull();
    expect(await scoped.apiKey.findUnique({ where: { id: B.apiKey } })).toBeNull();
    expect(await scoped.deviceProfile.findUnique({ where: { id: B.profile } })).toBeNull();
    expect(await scoped.deviceCredential.findUnique({ where: { deviceId: B.devices[0] } })).toBeNull();
    const bName = { tenantId_name: { tenantId: B.tenant.id, name: 'b-device-1' } };
    expect(await raw.device.findUnique({ where: bName })).not.toBeNull();
    expect(await scoped.device.findUnique({ where: bName })).toBeNull();
  });

  it('findUniqueOrThrow of the other tenant’s row throws P2025', async () => {
    expect(isRecordNotFound(await rejectionOf(scoped.device.findUniqueOrThrow({ where: { id: B.devices[1] } })))).toBe(true);
  });

  it('groupBy groups only the tenant’s rows', async () => {
    const byTenant = await scoped.device.groupBy({ by: ['tenantId'], _count: { _all: true } });
    expect(byTenant).toEqual([{ tenantId: A.tenant.id, _count: { _all: await raw.device.count({ where: { tenantId: A.tenant.id } }) } }]);
    const byProfile = await scoped.device.groupBy({ by: ['profileId'], where: { profileId: { in: [A.profile, B.profile] } }, _count: { _all: true } });
    expect(byProfile).toEqual([{ profileId: A.profile, _count: { _all: 2 } }]);
  });

  it('aggregate aggregates only the tenant’s rows', async () => {
    const query = { _count: { _all: true }, _min: { name: true }, _max: { name: true } } as const;
    const result = await scoped.device.aggregate(query);
    expect(result).toEqual(await raw.device.aggregate({ ...query, where: { tenantId: A.tenant.id } }));
    // All devices together would have a "b-…" maximum.
    expect((await raw.device.aggregate(query))._max.name).toMatch(/^b-/);
    expect(result._max.name).not.toMatch(/^b-/);
    const profiles = await scoped.deviceProfile.aggregate({ _sum: { inactivityTimeoutSeconds: true } });
    expect(profiles._sum.inactivityTimeoutSeconds).toBe(300);
  });

  it('includes relations of the tenant’s rows', async () => {
    const device = await scoped.device.findUnique({ where: { id: A.devices[0] }, include: { profile: true, credential: true } });
    expect(device?.profile?.id).toBe(A.profile);
    expect(device?.credential?.tenantId).toBe(A.tenant.id);
  });

  it('a scoped client of B sees B’s rows and not A’s (symmetry)', async () => {
    const other = forTenant(raw, B.tenant.id);
    expect((await other.device.findUnique({ where: { id: B.devices[0] } }))?.name).toBe('b-device-1');
    expect(await other.device.findUnique({ where: { id: A.devices[0] } })).toBeNull();
    expect((await other.tenant.findMany()).map((t) => t.id)).toEqual([B.tenant.id]);
  });
});

describe('forTenant: updates and deletes', () => {
  it('update of the other tenant’s device throws P2025 and changes nothing', async () => {
    const error = await rejectionOf(scoped.device.update({ where: { id: B.devices[0] }, data: { name: 'hijacked' } }));
    expect(isRecordNotFound(error)).toBe(true);
    expect((await raw.device.findUniqueOrThrow({ where: { id: B.devices[0] } })).name).toBe('b-device-1');
  });

  it('update of the tenant’s own device works', async () => {
    const device = await rawDevice(A.tenant.id);
    const updated = await scoped.device.update({ where: { id: device.id }, data: { labels: ['updated'] } });
    expect(updated.labels).toEqual(['updated']);
    expect((await raw.device.findUniqueOrThrow({ where: { id: device.id } })).labels).toEqual(['updated']);
  });

  it('update of another tenant’s user (by unique email) throws P2025 and changes nothing', async () => {
    const error = await rejectionOf(scoped.user.update({ where: { email: 'b0@bravo.test' }, data: { role: 'VIEWER' } }));
    expect(isRecordNotFound(error)).toBe(true);
    expect((await raw.user.findUniqueOrThrow({ where: { email: 'b0@bravo.test' } })).role).toBe('TENANT_ADMIN');
  });

  it('updateMany aimed at the other tenant’s ids updates 0 rows', async () => {
    const { count } = await scoped.device.updateMany({ where: { id: { in: B.devices } }, data: { labels: ['hijacked'] } });
    expect(count).toBe(0);
    for (const id of B.devices) expect((await raw.device.findUniqueOrThrow({ where: { id } })).labels).not.toContain('hijacked');
  });

  it('updateMany without a filter updates all of the tenant’s rows and none of the other’s', async () => {
    const before = await raw.apiKey.findUniqueOrThrow({ where: { id: B.apiKey } });
    const { count } = await scoped.apiKey.updateMany({ data: { lastUsedAt: new Date('2030-01-01T00:00:00Z') } });
    expect(count).toBe(await raw.apiKey.count({ where: { tenantId: A.tenant.id } }));
    expect((await raw.apiKey.findUniqueOrThrow({ where: { id: A.apiKey } })).lastUsedAt).toEqual(new Date('2030-01-01T00:00:00Z'));
    expect((await raw.apiKey.findUniqueOrThrow({ where: { id: B.apiKey } })).lastUsedAt).toEqual(before.lastUsedAt);
  });

  it('updateManyAndReturn returns and changes only the tenant’s rows', async () => {
    const a = await rawDevice(A.tenant.id, `uar-${randomUUID()}`);
    const b = await rawDevice(B.tenant.id, `uar-${randomUUID()}`);
    const rows = await scoped.device.updateManyAndReturn({ where: { name: { startsWith: 'uar-' } }, data: { labels: ['uar'] } });
    expect(rows.map((r) => r.id)).toEqual([a.id]);
    expect((await raw.device.findUniqueOrThrow({ where: { id: b.id } })).labels).toEqual([]);
  });

  it('delete of the other tenant’s device throws P2025 and the row stays', async () => {
    const error = await rejectionOf(scoped.device.delete({ where: { id: B.devices[2] } }));
    expect(isRecordNotFound(error)).toBe(true);
    expect(await raw.device.findUnique({ where: { id: B.devices[2] } })).not.toBeNull();
  });

  it('delete of another tenant’s API key, profile or credential throws P2025', async () => {
    expect(isRecordNotFound(await rejectionOf(scoped.apiKey.delete({ where: { id: B.apiKey } })))).toBe(true);
    expect(isRecordNotFound(await rejectionOf(scoped.deviceProfile.delete({ where: { id: B.profile } })))).toBe(true);
    expect(isRecordNotFound(await rejectionOf(scoped.deviceCredential.delete({ where: { deviceId: B.devices[0] } })))).toBe(true);
    expect(await raw.apiKey.count({ where: { id: B.apiKey } })).toBe(1);
    expect(await raw.deviceProfile.count({ where: { id: B.profile } })).toBe(1);
    expect(await raw.deviceCredential.count({ where: { deviceId: B.devices[0] } })).toBe(1);
  });

  it('delete of the tenant’s own device works', async () => {
    const device = await rawDevice(A.tenant.id);
    await scoped.device.delete({ where: { id: device.id } });
    expect(await raw.device.findUnique({ where: { id: device.id } })).toBeNull();
  });

  it('deleteMany aimed at the other tenant’s ids deletes 0 rows', async () => {
    expect((await scoped.device.deleteMany({ where: { id: { in: B.devices } } })).count).toBe(0);
    expect((await scoped.user.deleteMany({ where: { tenantId: B.tenant.id } })).count).toBe(0);
    expect(await raw.device.count({ where: { id: { in: B.devices } } })).toBe(3);
    expect(await raw.user.count({ where: { tenantId: B.tenant.id } })).toBe(2);
  });

  it('deleteMany with a filter matching both tenants deletes only the tenant’s rows', async () => {
    const a = await rawDevice(A.tenant.id, `gone-${randomUUID()}`);
    const b = await rawDevice(B.tenant.id, `gone-${randomUUID()}`);
    const { count } = await scoped.device.deleteMany({ where: { name: { startsWith: 'gone-' } } });
    expect(count).toBe(1);
    expect(await raw.device.findUnique({ where: { id: a.id } })).toBeNull();
    expect(await raw.device.findUnique({ where: { id: b.id } })).not.toBeNull();
  });

  it('deleteMany without a filter empties only the tenant’s table', async () => {
    const other = forTenant(raw, randomUUID()); // a tenant without any API keys yet
    const tenantC = (await raw.tenant.create({ data: { name: `c-${randomUUID()}` } })).id;
    const scopedC = forTenant(raw, tenantC);
    await raw.apiKey.create({ data: { tenantId: tenantC, name: 'one', role: 'VIEWER', secretHash: 'h' } });
    await raw.apiKey.create({ data: { tenantId: tenantC, name: 'two', role: 'VIEWER', secretHash: 'h' } });
    const total = await raw.apiKey.count();
    expect((await other.apiKey.deleteMany()).count).toBe(0);
    expect((await scopedC.apiKey.deleteMany()).count).toBe(2);
    expect(await raw.apiKey.count()).toBe(total - 2);
    expect(await raw.apiKey.count({ where: { id: { in: [A.apiKey, B.apiKey] } } })).toBe(2);
  });
});

describe('forTenant: creates', () => {
  it('create sets the tenant, even when the data names the other tenant', async () => {
    const device = await scoped.device.create({ data: { tenantId: B.tenant.id, name: `c-${randomUUID()}` } });
    expect(device.tenantId).toBe(A.tenant.id);
    expect((await raw.device.findUniqueOrThrow({ where: { id: device.id } })).tenantId).toBe(A.tenant.id);
  });

  it('create fills in the tenant when the data has none', async () => {
    const profile = await scoped.deviceProfile.create({ data: { name: `p-${randomUUID()}` } as never });
    expect((await raw.deviceProfile.findUniqueOrThrow({ where: { id: profile.id } })).tenantId).toBe(A.tenant.id);
  });

  it('create of a user and an API key lands in the tenant', async () => {
    const user = await scoped.user.create({ data: { tenantId: B.tenant.id, email: `${randomUUID()}@x.test`, passwordHash: 'x', role: 'VIEWER' } });
    const key = await scoped.apiKey.create({ data: { tenantId: B.tenant.id, name: 'k', role: 'VIEWER', secretHash: 'h' } });
    expect((await raw.user.findUniqueOrThrow({ where: { id: user.id } })).tenantId).toBe(A.tenant.id);
    expect((await raw.apiKey.findUniqueOrThrow({ where: { id: key.id } })).tenantId).toBe(A.tenant.id);
  });

  it('createMany puts every row in the tenant, whatever each row says', async () => {
    const prefix = `cm-${randomUUID()}`;
    const { count } = await scoped.device.createMany({
      data: [
        { tenantId: B.tenant.id, name: `${prefix}-1` },
        { tenantId: A.tenant.id, name: `${prefix}-2` },
        { tenantId: randomUUID(), name: `${prefix}-3` },
      ],
    });
    expect(count).toBe(3);
    const rows = await raw.device.findMany({ where: { name: { startsWith: prefix } } });
    expect(rows.map((r) => r.tenantId)).toEqual([A.tenant.id, A.tenant.id, A.tenant.id]);
  });

  it('createMany with a single object is scoped too', async () => {
    const name = `cm1-${randomUUID()}`;
    await scoped.device.createMany({ data: { tenantId: B.tenant.id, name } });
    expect((await raw.device.findFirstOrThrow({ where: { name } })).tenantId).toBe(A.tenant.id);
  });

  it('createManyAndReturn returns rows in the tenant', async () => {
    const rows = await scoped.device.createManyAndReturn({ data: [{ tenantId: B.tenant.id, name: `cmr-${randomUUID()}` }] });
    expect(rows.map((r) => r.tenantId)).toEqual([A.tenant.id]);
  });

  it('a create colliding with a unique key of the other tenant does not collide (per-tenant names)', async () => {
    const device = await scoped.device.create({ data: { tenantId: B.tenant.id, name: 'b-device-2' } });
    expect(device.tenantId).toBe(A.tenant.id);
    expect((await raw.device.findUniqueOrThrow({ where: { id: B.devices[1] } })).tenantId).toBe(B.tenant.id);
  });
});

describe('forTenant: upsert', () => {
  it('upsert on the other tenant’s id does not touch it: it creates in the tenant instead', async () => {
    const target = await rawDevice(B.tenant.id);
    const name = `up-${randomUUID()}`;
    const result = await scoped.device.upsert({
      where: { id: target.id },
      update: { name: 'hijacked' },
      create: { tenantId: B.tenant.id, name },
    });
    expect(result.id).not.toBe(target.id);
    expect(result.tenantId).toBe(A.tenant.id);
    expect((await raw.device.findUniqueOrThrow({ where: { id: target.id } })).name).toBe(target.name);
    expect((await raw.device.findUniqueOrThrow({ where: { id: result.id } })).tenantId).toBe(A.tenant.id);
  });

  it('upsert on the other tenant’s unique name creates the name in the tenant', async () => {
    const target = await rawDevice(B.tenant.id);
    const result = await scoped.device.upsert({
      where: { tenantId_name: { tenantId: B.tenant.id, name: target.name } },
      update: { labels: ['hijacked'] },
      create: { tenantId: B.tenant.id, name: target.name },
    });
    expect(result.tenantId).toBe(A.tenant.id);
    expect((await raw.device.findUniqueOrThrow({ where: { id: target.id } })).labels).toEqual([]);
  });

  it('upsert on the tenant’s own row updates it', async () => {
    const own = await rawDevice(A.tenant.id);
    const result = await scoped.device.upsert({
      where: { id: own.id },
      update: { labels: ['upserted'] },
      create: { tenantId: A.tenant.id, name: 'never' },
    });
    expect(result.id).toBe(own.id);
    expect((await raw.device.findUniqueOrThrow({ where: { id: own.id } })).labels).toEqual(['upserted']);
  });
});

describe('forTenant: the Tenant model', () => {
  it('findMany returns only the tenant itself', async () => {
    expect((await scoped.tenant.findMany()).map((t) => t.id)).toEqual([A.tenant.id]);
    expect(await scoped.tenant.count()).toBe(1);
    expect(await raw.tenant.count()).toBeGreaterThan(1);
  });

  it('findUnique of the other tenant is null; of itself, found', async () => {
    expect(await scoped.tenant.findUnique({ where: { id: B.tenant.id } })).toBeNull();
    expect(await scoped.tenant.findUnique({ where: { name: 'bravo' } })).toBeNull();
    expect((await scoped.tenant.findUnique({ where: { id: A.tenant.id } }))?.name).toBe('acme');
    expect(await scoped.tenant.findFirst({ where: { name: 'bravo' } })).toBeNull();
  });

  it('including users or API keys of the tenant shows only its own', async () => {
    const tenant = await scoped.tenant.findUniqueOrThrow({ where: { id: A.tenant.id }, include: { users: true } });
    expect(tenant.users.every((u) => u.tenantId === A.tenant.id)).toBe(true);
    expect(tenant.users.length).toBeGreaterThanOrEqual(2);
  });

  it('update of the other tenant throws P2025 and changes nothing', async () => {
    const error = await rejectionOf(scoped.tenant.update({ where: { id: B.tenant.id }, data: { plan: 'free' } }));
    expect(isRecordNotFound(error)).toBe(true);
    expect((await raw.tenant.findUniqueOrThrow({ where: { id: B.tenant.id } })).plan).toBe('standard');
  });

  it('updateMany touches only the tenant itself', async () => {
    const { count } = await scoped.tenant.updateMany({ data: { plan: 'pro' } });
    expect(count).toBe(1);
    expect((await raw.tenant.findUniqueOrThrow({ where: { id: A.tenant.id } })).plan).toBe('pro');
    expect((await raw.tenant.findUniqueOrThrow({ where: { id: B.tenant.id } })).plan).toBe('standard');
  });

  it('cannot create, delete or upsert tenants', async () => {
    const before = await raw.tenant.count();
    await expect(scoped.tenant.create({ data: { name: `evil-${randomUUID()}` } })).rejects.toThrow(/cannot create tenants/);
    await expect(scoped.tenant.createMany({ data: [{ name: `evil-${randomUUID()}` }] })).rejects.toThrow(/cannot createMany tenants/);
    await expect(scoped.tenant.delete({ where: { id: A.tenant.id } })).rejects.toThrow(/cannot delete tenants/);
    await expect(scoped.tenant.delete({ where: { id: B.tenant.id } })).rejects.toThrow(/cannot delete tenants/);
    await expect(scoped.tenant.deleteMany()).rejects.toThrow(/cannot deleteMany tenants/);
    await expect(
      scoped.tenant.upsert({ where: { id: B.tenant.id }, update: { plan: 'x' }, create: { name: `evil-${randomUUID()}` } }),
    ).rejects.toThrow(/cannot upsert tenants/);
    expect(await raw.tenant.count()).toBe(before);
  });
});

describe('forTenant: writes cannot leave the tenant', () => {
  it('update cannot move a row to another tenant', async () => {
    const own = await rawDevice(A.tenant.id);
    await scoped.device.update({ where: { id: own.id }, data: { tenantId: B.tenant.id } }).catch(() => undefined);
    expect((await raw.device.findUniqueOrThrow({ where: { id: own.id } })).tenantId).toBe(A.tenant.id);
  });

  it('updateMany cannot move rows to another tenant', async () => {
    const own = await rawDevice(A.tenant.id, `mv-${randomUUID()}`);
    await scoped.device.updateMany({ where: { id: own.id }, data: { tenantId: B.tenant.id } }).catch(() => undefined);
    expect((await raw.device.findUniqueOrThrow({ where: { id: own.id } })).tenantId).toBe(A.tenant.id);
  });

  it('update cannot move a user out of the tenant through the relation', async () => {
    const user = await raw.user.create({ data: { tenantId: A.tenant.id, email: `${randomUUID()}@x.test`, passwordHash: 'x', role: 'VIEWER' } });
    await scoped.user.update({ where: { id: user.id }, data: { tenant: { connect: { id: B.tenant.id } } } }).catch(() => undefined);
    expect((await raw.user.findUniqueOrThrow({ where: { id: user.id } })).tenantId).toBe(A.tenant.id);
  });

  it('refuses nested writes, which would bypass the scope', async () => {
    const name = `n-${randomUUID()}`;
    await expect(
      scoped.device.create({ data: { tenantId: A.tenant.id, name, credential: { create: { tenantId: B.tenant.id, tokenHash: tokenHash() } } } }),
    ).rejects.toThrow(/Nested writes through Device.credential/);
    expect(await raw.device.count({ where: { name } })).toBe(0);
  });

  it('lists exactly the relation fields of the datamodel, so a new relation cannot slip past the scope', async () => {
    const datamodel = await loadDatamodel();
    const actual = Object.fromEntries(
      datamodel.models.map((model) => [model.name, model.fields.filter((f) => f.kind === 'object').map((f) => f.name).sort()]),
    );
    const listed = Object.fromEntries(Object.entries(relationFields).map(([model, fields]) => [model, [...fields].sort()]));
    expect(listed).toEqual(actual);
    const owned = datamodel.models.filter((m) => m.fields.some((f) => f.name === 'tenantId')).map((m) => m.name).sort();
    expect([...tenantOwnedModels].sort()).toEqual(owned);
  });
});

describe('dbFor', () => {
  const countsOf = async (db: TenantDb) => ({
    tenants: (await db.tenant.findMany()).map((t) => t.id).sort(),
    devices: await db.device.count(),
    users: await db.user.count(),
  });

  it.each<[string, Identity]>([
    ['anonymous', { kind: 'anonymous' }],
    ['the gateway service', { kind: 'service', service: 'gateway' }],
  ])('%s sees no tenant and no rows', async (_name, identity) => {
    const db = dbFor(raw, identity);
    expect(await countsOf(db)).toEqual({ tenants: [], devices: 0, users: 0 });
    expect(await db.device.findUnique({ where: { id: A.devices[0] } })).toBeNull();
    expect(await db.device.updateMany({ data: { labels: ['x'] } })).toEqual({ count: 0 });
    expect(await db.apiKey.deleteMany()).toEqual({ count: 0 });
    await expect(db.tenant.create({ data: { name: `evil-${randomUUID()}` } })).rejects.toThrow(/cannot create tenants/);
  });

  it('a user of tenant A sees A only', async () => {
    const db = dbFor(raw, { kind: 'user', userId: A.users[0]!, tenantId: A.tenant.id, role: 'TENANT_ADMIN' });
    const counts = await countsOf(db);
    expect(counts.tenants).toEqual([A.tenant.id]);
    expect(counts.devices).toBe(await raw.device.count({ where: { tenantId: A.tenant.id } }));
    expect(await db.device.findUnique({ where: { id: B.devices[0] } })).toBeNull();
  });

  it('an API key of tenant B sees B only', async () => {
    const db = dbFor(raw, { kind: 'apiKey', apiKeyId: B.apiKey, tenantId: B.tenant.id, role: 'VIEWER' });
    const counts = await countsOf(db);
    expect(counts.tenants).toEqual([B.tenant.id]);
    expect(counts.devices).toBe(await raw.device.count({ where: { tenantId: B.tenant.id } }));
    expect(await db.device.findUnique({ where: { id: A.devices[0] } })).toBeNull();
    expect((await db.device.findUnique({ where: { id: B.devices[0] } }))?.tenantId).toBe(B.tenant.id);
  });

  it('a platform admin (no tenant) sees every tenant and every row', async () => {
    const db = dbFor(raw, { kind: 'user', userId: admin, tenantId: null, role: 'PLATFORM_ADMIN' });
    const counts = await countsOf(db);
    expect(counts.tenants).toEqual((await raw.tenant.findMany()).map((t) => t.id).sort());
    expect(counts.tenants).toEqual(expect.arrayContaining([A.tenant.id, B.tenant.id]));
    expect(counts.devices).toBe(await raw.device.count());
    expect(counts.users).toBe(await raw.user.count());
  });

  it('a platform-admin role inside a tenant is scoped to that tenant (tenant wins)', async () => {
    const db = dbFor(raw, { kind: 'user', userId: A.users[0]!, tenantId: A.tenant.id, role: 'PLATFORM_ADMIN' });
    expect((await countsOf(db)).tenants).toEqual([A.tenant.id]);
  });

  it('a user without tenant and without the platform-admin role sees nothing', async () => {
    const db = dbFor(raw, { kind: 'user', userId: admin, tenantId: null, role: 'TENANT_ADMIN' });
    expect(await countsOf(db)).toEqual({ tenants: [], devices: 0, users: 0 });
  });
});

describe('allTenants', () => {
  it('sees every tenant’s rows', async () => {
    const db = allTenants(raw);
    expect(await db.device.count()).toBe(await raw.device.count());
    expect((await db.device.findUnique({ where: { id: B.devices[0] } }))?.tenantId).toBe(B.tenant.id);
    expect((await db.device.findUnique({ where: { id: A.devices[0] } }))?.tenantId).toBe(A.tenant.id);
    const tenants = (await db.tenant.findMany()).map((t) => t.id);
    expect(tenants).toEqual(expect.arrayContaining([A.tenant.id, B.tenant.id]));
  });

  it('writes with the tenant the data names', async () => {
    const device = await allTenants(raw).device.create({ data: { tenantId: B.tenant.id, name: `all-${randomUUID()}` } });
    expect(device.tenantId).toBe(B.tenant.id);
  });
});
