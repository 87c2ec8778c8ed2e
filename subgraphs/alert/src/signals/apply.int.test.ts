import { describeWith } from '@ump/core/src/testing/services';
import { createDatabase, type Database } from '@ump/db';
import { createTestDatabase, type TestDatabase } from '@ump/db/src/testing';
import { seedTenant, signals } from '../../test/fixture';
import { applySignal } from './apply';
import { DEFAULT_FLAP_POLICY } from './flapping';

const opts = { flap: DEFAULT_FLAP_POLICY };

describeWith('postgres')('applySignal on PostgreSQL, two consumers at once', () => {
  let test: TestDatabase;
  let second: Database;
  beforeAll(async () => {
    test = await createTestDatabase();
    // A second client with its own connection pool: another consumer process.
    second = await createDatabase({ databaseUrl: test.url });
  }, 60_000);
  afterAll(async () => {
    await second?.close();
    await test?.drop();
  });

  it('keeps exactly one open alert per fingerprint and counts every applied firing once', async () => {
    const seed = await seedTenant(test.db.prisma, { devices: 3 });
    const start = Date.now();
    const perDevice = seed.devices.map((device) =>
      Array.from({ length: 40 }, (_, i) => signals({ tenantId: seed.tenant.id, ruleId: seed.rule.id, deviceId: device.id })('firing', { at: start + i })),
    );
    // Every signal is delivered to BOTH consumers in order (as on a redelivery after a
    // rebalance), so each one is raced from two connections: exactly one may apply it.
    const clients = [test.db.prisma, second.prisma];
    const runs = clients.map((prisma) =>
      Promise.all(
        perDevice.map(async (list) => {
          const outcomes = [];
          for (const signal of list) outcomes.push(await applySignal(prisma, signal, opts));
          return outcomes;
        }),
      ),
    );
    const outcomes = (await Promise.all(runs)).flat(2);
    for (const device of seed.devices) {
      const alerts = await test.db.prisma.alert.findMany({ where: { deviceId: device.id } });
      expect(alerts).toHaveLength(1);
      const applied = outcomes.filter((o) => o.applied && o.alert.deviceId === device.id).length;
      expect(applied).toBe(40);
      expect(alerts[0]!.occurrences).toBe(40);
      // The newest signal always wins the race in the end: nothing older applies after it.
      expect(alerts[0]!.lastSignalAt.getTime()).toBe(start + 39);
      expect(await test.db.prisma.alertHistory.count({ where: { alertId: alerts[0]!.id } })).toBe(applied);
    }
  }, 60_000);

  it('opens one alert when two consumers raise the same fingerprint at the same moment', async () => {
    const seed = await seedTenant(test.db.prisma);
    for (let round = 0; round < 10; round++) {
      const next = signals({ tenantId: seed.tenant.id, ruleId: seed.rule.id, deviceId: seed.devices[1]!.id }, Date.now() + round * 10_000);
      const [a, b] = [next('firing'), next('firing')];
      await Promise.all([applySignal(test.db.prisma, a, opts), applySignal(second.prisma, b, opts)]);
      // Close it again so the next round races a fresh raise.
      await test.db.prisma.alert.updateMany({ where: { deviceId: seed.devices[1]!.id, openKey: { not: null } }, data: { status: 'CLEARED_ACK', openKey: null } });
    }
    const alerts = await test.db.prisma.alert.findMany({ where: { deviceId: seed.devices[1]!.id } });
    expect(alerts).toHaveLength(10);
    expect(alerts.every((a) => a.occurrences >= 1 && a.occurrences <= 2)).toBe(true);
  }, 60_000);
});
