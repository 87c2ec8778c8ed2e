import { randomUUID } from 'node:crypto';
import type { AlertHistoryStore } from '@ump/core';
import { Registry } from 'prom-client';
import { eventually } from '../../../core/src/testing/eventually';
import { useAlertHistoryFixture } from './alert-history-fixture';

// The alert history writer against the in-process bus and an embedded chDB store: what it
// stores, what it dead-letters, and that crashes and redeliveries count nothing twice.
const {
  within, memoryBus, startWriter, collectDeadLetters, lifecycle, expectedStats, publish, statsOf, dyingHistory, counting, expectSettled, history,
} = useAlertHistoryFixture();

describe('alert history writer', () => {
  it('stores every valid event and dead-letters the malformed with their reasons', async () => {
    const { bus } = memoryBus(7);
    const tenant = randomUUID();
    const registry = new Registry();
    await startWriter(bus, randomUUID(), history(), registry);
    const letters = await collectDeadLetters(bus);
    const events = lifecycle(tenant);
    const [sample] = events;
    const malformed: unknown[] = [
      'not an object',
      { ...sample, eventId: undefined },
      { ...sample, tenantId: 'acme' },
      { ...sample, severity: 'APOCALYPTIC' },
      { ...sample, at: Date.UTC(2200, 0, 1) },
    ];
    await publish(bus, [...events.slice(0, 12), ...malformed, ...events.slice(12)]);

    const metric = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value;
    await eventually(async () => letters.length >= 5 && (await metric('ump_alert_history_written_total')) === 25, within);
    expect(await statsOf(tenant)).toEqual(expectedStats(sample!.ruleId));
    expect(letters.map((l) => l.value.reason).sort()).toEqual([
      '(root): Invalid input: expected object, received string',
      expect.stringMatching(/^at: outside/),
      expect.stringMatching(/^eventId: /),
      expect.stringMatching(/^severity: /),
      'tenantId: Invalid UUID',
    ]);
    for (const { value, headers } of letters) {
      expect(value.source).toBe('alert.events.v1');
      expect(headers).toEqual({ 'x-ump-source-partition': expect.any(String), 'x-ump-source-offset': expect.stringMatching(/^\d+$/) });
    }
    const late = letters.find((l) => l.value.reason.startsWith('at:'))!.value;
    expect({ tenantId: late.tenantId, deviceId: late.deviceId }).toEqual({ tenantId: tenant, deviceId: sample!.deviceId });
    expect(letters.find((l) => l.value.reason.startsWith('(root)'))!.value.payload).toBe('"not an object"');
    expect(await metric('ump_alert_history_dead_lettered_total')).toBe(5);
  }, 30_000);

  it('counts nothing twice when a batch fails after its insert and is redelivered', async () => {
    const { bus, failures } = memoryBus(4);
    const tenant = randomUUID();
    let [failuresLeft, acknowledged] = [2, 0];
    const flaky: AlertHistoryStore = {
      ...history(),
      async insert(events) {
        await history().insert(events);
        if (failuresLeft > 0) { failuresLeft--; throw new Error('acknowledgement lost'); }
        acknowledged += events.length;
      },
    };
    await startWriter(bus, randomUUID(), flaky);
    const events = lifecycle(tenant);
    await publish(bus, events);
    await eventually(() => failures.length === 2 && acknowledged === events.length, within);
    expect(await statsOf(tenant)).toEqual(expectedStats(events[0]!.ruleId));
  }, 30_000);

  it('loses and doubles nothing when the writer dies after an insert and another takes over the group', async () => {
    const { bus, failures } = memoryBus(4);
    const tenant = randomUUID();
    const group = randomUUID();
    const dying = dyingHistory(2);
    const first = await startWriter(bus, group, dying.history);
    const events = lifecycle(tenant);
    await publish(bus, events.slice(0, 20));
    await eventually(() => dying.isDead() && failures.length > 0, within);
    await first.stop();

    await publish(bus, events.slice(20));
    await startWriter(bus, group);
    await expectSettled(() => statsOf(tenant), expectedStats(events[0]!.ruleId));
  }, 30_000);

  it('counts nothing twice when a restart redelivers everything in other batches, and keeps tenants apart', async () => {
    // Kafka after a crash before any commit: the group starts again from the beginning with
    // other batch boundaries. A second in-process bus with the same log plays that role.
    const [tenantA, tenantB] = [randomUUID(), randomUUID()];
    const [eventsA, eventsB] = [lifecycle(tenantA), lifecycle(tenantB).slice(0, 2)];
    const group = randomUUID();
    const before = memoryBus(3);
    const first = counting();
    await startWriter(before.bus, group, first.history);
    await publish(before.bus, [...eventsA, ...eventsB]);
    await eventually(() => first.events === eventsA.length + eventsB.length, within);

    const after = memoryBus(500);
    const second = counting();
    await publish(after.bus, [...eventsA, ...eventsB]);
    await startWriter(after.bus, group, second.history);
    const letters = await collectDeadLetters(after.bus);
    await eventually(() => second.events === eventsA.length + eventsB.length, within);

    expect(await statsOf(tenantA)).toEqual(expectedStats(eventsA[0]!.ruleId));
    expect(await statsOf(tenantB)).toEqual({
      raised: 1, bySeverity: [{ severity: 'MAJOR', count: 1 }], byRule: [{ ruleId: eventsB[0]!.ruleId, count: 1 }],
      mttaSeconds: 0, mttrSeconds: null, open: 1,
    });
    expect(letters).toEqual([]);
  }, 30_000);
});
