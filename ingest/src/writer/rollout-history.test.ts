import { randomUUID } from 'node:crypto';
import type { RolloutHistoryStore } from '@ump/core';
import { Registry } from 'prom-client';
import { eventually } from '../../../core/src/testing/eventually';
import { useRolloutHistoryFixture } from './rollout-history-fixture';

// The rollout history writer against the in-process bus and an embedded chDB store: what it
// stores, what it dead-letters, and that crashes and redeliveries count nothing twice.
const {
  within, memoryBus, startWriter, collectDeadLetters, rollout, expectedStats, publish, statsOf, dyingHistory, counting, expectSettled, history,
} = useRolloutHistoryFixture();

describe('rollout history writer', () => {
  it('stores every valid event and dead-letters the malformed with their reasons', async () => {
    const { bus } = memoryBus(7);
    const tenant = randomUUID();
    const registry = new Registry();
    await startWriter(bus, randomUUID(), history(), registry);
    const letters = await collectDeadLetters(bus);
    const { rolloutId, events } = rollout(tenant);
    const sample = events.find((e) => e.type === 'device_progress')!;
    const malformed: unknown[] = [
      'not an object',
      { ...sample, eventId: undefined },
      { ...sample, tenantId: 'acme' },
      { ...sample, type: 'exploded' },
      { ...sample, at: Date.UTC(2200, 0, 1) },
      { ...sample, deviceId: undefined },
    ];
    await publish(bus, [...events.slice(0, 12), ...malformed, ...events.slice(12)]);

    const metric = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value;
    await eventually(async () => letters.length >= 6 && (await metric('ump_rollout_history_written_total')) === events.length, within);
    expect(await statsOf(tenant, rolloutId)).toEqual(expectedStats);
    expect(letters.map((l) => l.value.reason).sort()).toEqual([
      '(root): Invalid input: expected object, received string',
      expect.stringMatching(/^at: outside/),
      'deviceId: required for device_progress',
      expect.stringMatching(/^eventId: /),
      'tenantId: Invalid UUID',
      expect.stringMatching(/^type: /),
    ]);
    for (const { value, headers } of letters) {
      expect(value.source).toBe('rollout.events.v1');
      expect(headers).toEqual({ 'x-ump-source-partition': expect.any(String), 'x-ump-source-offset': expect.stringMatching(/^\d+$/) });
    }
    const late = letters.find((l) => l.value.reason.startsWith('at:'))!.value;
    expect({ tenantId: late.tenantId, deviceId: late.deviceId }).toEqual({ tenantId: tenant, deviceId: sample.deviceId });
    expect(letters.find((l) => l.value.reason.startsWith('(root)'))!.value.payload).toBe('"not an object"');
    expect(await metric('ump_rollout_history_dead_lettered_total')).toBe(6);
  }, 30_000);

  it('counts nothing twice when a batch fails after its insert and is redelivered', async () => {
    const { bus, failures } = memoryBus(4);
    const tenant = randomUUID();
    let [failuresLeft, acknowledged] = [2, 0];
    const flaky: RolloutHistoryStore = {
      ...history(),
      async insert(events) {
        await history().insert(events);
        if (failuresLeft > 0) { failuresLeft--; throw new Error('acknowledgement lost'); }
        acknowledged += events.length;
      },
    };
    await startWriter(bus, randomUUID(), flaky);
    const { rolloutId, events } = rollout(tenant);
    await publish(bus, events);
    await eventually(() => failures.length === 2 && acknowledged === events.length, within);
    expect(await statsOf(tenant, rolloutId)).toEqual(expectedStats);
  }, 30_000);

  it('loses and doubles nothing when the writer dies after an insert and another takes over the group', async () => {
    const { bus, failures } = memoryBus(4);
    const tenant = randomUUID();
    const group = randomUUID();
    const dying = dyingHistory(2);
    const first = await startWriter(bus, group, dying.history);
    const { rolloutId, events } = rollout(tenant);
    await publish(bus, events.slice(0, 20));
    await eventually(() => dying.isDead() && failures.length > 0, within);
    await first.stop();

    await publish(bus, events.slice(20));
    await startWriter(bus, group);
    await expectSettled(() => statsOf(tenant, rolloutId), expectedStats);
  }, 30_000);

  it('counts nothing twice when a restart redelivers everything in other batches, and keeps tenants apart', async () => {
    // Kafka after a crash before any commit: the group starts again from the beginning with
    // other batch boundaries. A second in-process bus with the same log plays that role.
    const [tenantA, tenantB] = [randomUUID(), randomUUID()];
    const [a, b] = [rollout(tenantA), rollout(tenantB)];
    const eventsB = b.events.slice(0, 5); // stage 0 started, device 0 assigned, queued, failed
    const group = randomUUID();
    const before = memoryBus(3);
    const first = counting();
    await startWriter(before.bus, group, first.history);
    await publish(before.bus, [...a.events, ...eventsB]);
    await eventually(() => first.events === a.events.length + eventsB.length, within);

    const after = memoryBus(500);
    const second = counting();
    await publish(after.bus, [...a.events, ...eventsB]);
    await startWriter(after.bus, group, second.history);
    const letters = await collectDeadLetters(after.bus);
    await eventually(() => second.events === a.events.length + eventsB.length, within);

    expect(await statsOf(tenantA, a.rolloutId)).toEqual(expectedStats);
    expect(await statsOf(tenantB, b.rolloutId)).toEqual([
      { stageIndex: 0, assigned: 1, updated: 0, failed: 1, inProgress: 0, cancelled: 0, rolledBack: 0 },
    ]);
    // Each tenant reads only its own rollout.
    expect(await statsOf(tenantB, a.rolloutId)).toEqual([]);
    expect(letters).toEqual([]);
  }, 30_000);
});
