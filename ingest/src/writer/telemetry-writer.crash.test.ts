import { randomUUID } from 'node:crypto';
import type { EventBus, TelemetryStore } from '@ump/core';
import { eventually } from '../../../core/src/testing/eventually';
import { consumerKey } from './plan';
import { useWriterFixture } from './writer-fixture';

// A crash between a batch's insert and its commit must never count a point twice nor lose
// one, whatever boundaries the redelivery has (the design is in plan.ts).
const { within, message, publish, startWriter, memoryBus, collectDeadLetters, expectExactlyOnce, dyingStore, store } = useWriterFixture();

// The in-process bus as the writer sees Kafka: offsets that outlive the process, and
// redeliveries with other boundaries. The writer then keeps its journal.
const likeKafka = (bus: EventBus): EventBus => ({ ...bus, inProcess: false });
const buses = {
  'in-process': (maxBatchSize: number) => memoryBus(maxBatchSize),
  'Kafka-like': (maxBatchSize: number) => {
    const { bus, failures } = memoryBus(maxBatchSize);
    return { bus: likeKafka(bus), failures };
  },
};
const kinds = Object.keys(buses) as Array<keyof typeof buses>;

describe.each(kinds)('telemetry writer after a crash, on an %s bus', (kind) => {
  const busOf = buses[kind];

  it('counts every point once when a batch fails after its insert and is redelivered', async () => {
    const { bus, failures } = busOf(5);
    const tenant = randomUUID();
    let failOnce = true;
    const healthy = store();
    const flaky: TelemetryStore = {
      ...healthy,
      async insert(points, opts) {
        await healthy.insert(points, opts);
        if (failOnce) { failOnce = false; throw new Error('acknowledgement lost'); }
      },
    };
    await startWriter(bus, randomUUID(), flaky);
    await publish(bus, Array.from({ length: 30 }, (_, i) => message(tenant, i)));
    await expectExactlyOnce(tenant, 30);
    expect(failures).toHaveLength(1);
  }, 30_000);

  it.each(['after', 'before'] as const)('counts every point once when the writer dies %s an insert and a new one takes over the group', async (when) => {
    const { bus, failures } = busOf(10);
    const tenant = randomUUID();
    const group = randomUUID();
    const dying = dyingStore(3, when);
    const first = await startWriter(bus, group, dying.store);
    await publish(bus, Array.from({ length: 60 }, (_, i) => message(tenant, i)));
    await eventually(() => dying.isDead() && failures.length > 0, within);
    await first.stop();

    await publish(bus, Array.from({ length: 15 }, (_, i) => message(tenant, 60 + i)));
    await startWriter(bus, group);
    await expectExactlyOnce(tenant, 75);
  }, 30_000);
});

describe('telemetry writer restarted', () => {
  it('writes every point of a new in-process bus, whose offsets start at 0 again', async () => {
    // The embedded platform restarted: same store and group, a new bus. Offsets must not
    // identify anything across runs, or the new points would look written already.
    const tenant = randomUUID();
    const group = randomUUID();
    for (const run of [0, 1]) {
      const { bus } = memoryBus(10);
      const writer = await startWriter(bus, group);
      await publish(bus, Array.from({ length: 30 }, (_, i) => message(tenant, run * 30 + i)));
      await expectExactlyOnce(tenant, (run + 1) * 30);
      await writer.stop();
    }
  }, 30_000);

  it.each([
    ['smaller', 3],
    ['bigger', 500],
  ])('counts every point once when a restart of a Kafka-like bus redelivers everything in %s batches', async (_label, batchSize) => {
    // Kafka after a crash: the group resumes from its last committed offset (here: the very
    // beginning, as if no commit had been flushed) with whatever batch boundaries the fetch
    // gives. A second in-process bus with the same log plays that role.
    const tenant = randomUUID();
    const log: unknown[] = Array.from({ length: 80 }, (_, i) => message(tenant, i));
    log.splice(30, 0, { broken: true });
    const group = randomUUID();
    const before = buses['Kafka-like'](11);
    const dying = dyingStore(4);
    await startWriter(before.bus, group, dying.store);
    const lettersBefore = await collectDeadLetters(before.bus);
    await publish(before.bus, log);
    await eventually(() => dying.isDead() && before.failures.length > 0, within);
    await before.bus.close();
    // The refused message is dead-lettered again only if the crash came before its range
    // reached the journal (dead letters are published first, so they are at-least-once).
    // Read the journal now: once restarted, the writer journals that range itself.
    expect(lettersBefore.length).toBeLessThanOrEqual(1);
    const [first] = lettersBefore;
    const journaled = first !== undefined && (await store().journal.overlapping(
      consumerKey(group, 'telemetry.v1', Number(first.headers['x-ump-source-partition'])),
      BigInt(first.headers['x-ump-source-offset']!), BigInt(first.headers['x-ump-source-offset']!),
    )).length > 0;

    const after = buses['Kafka-like'](batchSize);
    const lettersAfter = await collectDeadLetters(after.bus);
    await publish(after.bus, [...log, ...Array.from({ length: 20 }, (_, i) => message(tenant, 100 + i))]);
    await startWriter(after.bus, group);
    await expectExactlyOnce(tenant, 100);
    expect(lettersAfter).toHaveLength(journaled ? 0 : 1);
    expect(lettersAfter.every((l) => l.value.payload === '{"broken":true}')).toBe(true);
  }, 30_000);
});
