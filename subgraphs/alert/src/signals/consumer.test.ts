import { alertEventsTopic, alertSignalsTopic, createLogger, createMemoryBus, deadLetterName, type DeadLetter, type EventBus } from '@ump/core';
import { eventually } from '@ump/core/src/testing/eventually';
import { createEmbeddedTestDatabase, type EmbeddedTestDatabase } from '@ump/db/src/testing';
import { Registry } from 'prom-client';
import { seedTenant, signals } from '../../test/fixture';
import { createSignalConsumer, type SignalConsumer } from './consumer';

let database: EmbeddedTestDatabase;
let bus: EventBus;
let consumer: SignalConsumer;
const registry = new Registry();
const seen: { events: any[]; letters: DeadLetter[] } = { events: [], letters: [] };

beforeAll(async () => {
  database = await createEmbeddedTestDatabase();
  bus = createMemoryBus();
  await bus.subscribe({ topic: alertEventsTopic.name, groupId: 't', handleBatch: async (b) => void seen.events.push(...b.messages.map((m) => m.value)) });
  await bus.subscribe({ topic: deadLetterName(alertSignalsTopic), groupId: 't', handleBatch: async (b) => void seen.letters.push(...b.messages.map((m) => m.value as DeadLetter)) });
  consumer = createSignalConsumer({ prisma: database.db.prisma, bus, logger: createLogger({ name: 't', level: 'silent', format: 'json' }), metrics: registry });
  await consumer.start();
}, 60_000);
afterAll(async () => {
  await consumer.stop();
  await bus.close();
  await database.drop();
});

describe('createSignalConsumer', () => {
  it('applies signals from alert.signals.v1 and publishes alert events after the commit', async () => {
    const seed = await seedTenant(database.db.prisma);
    const next = signals({ tenantId: seed.tenant.id, ruleId: seed.rule.id, deviceId: seed.device.id });
    const firing = next('firing');
    await bus.publish(alertSignalsTopic.name, [{ key: seed.device.id, value: firing }]);
    await bus.publish(alertSignalsTopic.name, [{ key: seed.device.id, value: firing }]); // redelivered
    await bus.publish(alertSignalsTopic.name, [{ key: seed.device.id, value: next('resolved') }]);
    const mine = () => seen.events.filter((e) => e.tenantId === seed.tenant.id);
    await eventually(() => mine().length === 2);
    expect(mine().map((e) => [e.type, e.status])).toEqual([['raised', 'ACTIVE_UNACK'], ['cleared', 'CLEARED_UNACK']]);
    expect(alertEventsTopic.parse(mine()[0]).ok).toBe(true);
    const alert = await database.db.prisma.alert.findFirstOrThrow({ where: { tenantId: seed.tenant.id } });
    expect(alert.occurrences).toBe(1);
    const ignored = await registry.getSingleMetric('ump_alert_signals_ignored_total')!.get();
    expect(ignored.values.find((v) => v.labels.reason === 'stale')?.value).toBe(1);
  });

  it('dead-letters a malformed signal with the reason and goes on', async () => {
    const seed = await seedTenant(database.db.prisma);
    const good = signals({ tenantId: seed.tenant.id, ruleId: seed.rule.id, deviceId: seed.device.id })('firing');
    await bus.publish(alertSignalsTopic.name, [
      { key: 'x', value: { ...good, type: 'exploded' } },
      { key: 'x', value: 'not json at all' },
      { key: seed.device.id, value: good },
    ]);
    await eventually(() => seen.letters.length >= 2);
    expect(seen.letters[0]).toMatchObject({ source: 'alert.signals.v1', tenantId: seed.tenant.id, reason: expect.stringContaining('type') });
    expect(seen.letters[1]!.reason).toContain('(root)');
    await eventually(() => database.db.prisma.alert.findFirst({ where: { tenantId: seed.tenant.id } }));
  });
});
