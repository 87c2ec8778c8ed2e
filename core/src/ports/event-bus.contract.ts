import { randomUUID } from 'node:crypto';
import { eventually } from '../testing/eventually';
import type { Batch, BusErrorContext, BusErrorReporter, BusSubscription, EventBus, IncomingMessage } from './event-bus';

/** What the contract may ask of a bus factory: an `onError` to observe handler failures. */
export interface ContractBusOptions {
  onError?: BusErrorReporter;
}

/**
 * The behaviour every {@link EventBus} adapter must share. Each test gets a fresh bus from
 * `makeBus` (which must pass `onError` through) and uses random topic and group names, so a
 * shared broker is fine. Handler
 * redelivery relies on the adapter's own back-off, which should be well under a second.
 */
export function eventBusContract(name: string, makeBus: (options?: ContractBusOptions) => Promise<EventBus>): void {
  describe(`EventBus contract: ${name}`, () => {
    let bus: EventBus;
    let topic: string;
    let subscriptions: BusSubscription[];
    let errors: BusErrorContext[];
    const within = { timeoutMs: 10_000, intervalMs: 20 };
    // Generous per-test timeout: a real broker's group rebalances take seconds.
    const test = (title: string, body: () => Promise<void>) => it(title, body, 30_000);
    const group = (label: string) => `${label}-${randomUUID()}`;

    /** Subscribes, collecting every delivered message (including redeliveries) in arrival order. */
    const consume = async (groupId: string, options: { fromBeginning?: boolean; onBatch?: (batch: Batch) => void } = {}) => {
      const received: IncomingMessage[] = [];
      const subscription = await bus.subscribe({
        topic,
        groupId,
        fromBeginning: options.fromBeginning ?? true,
        handleBatch: async (batch) => {
          options.onBatch?.(batch);
          received.push(...batch.messages);
        },
      });
      subscriptions.push(subscription);
      return { received, values: () => received.map((m) => m.value), subscription };
    };
    const publishValues = (key: string, values: unknown[]) => bus.publish(topic, values.map((value) => ({ key, value })));

    beforeEach(async () => {
      errors = [];
      bus = await makeBus({ onError: (_error, context) => errors.push(context) });
      topic = `contract.${randomUUID()}.v1`;
      subscriptions = [];
    });
    afterEach(async () => {
      await Promise.all(subscriptions.map((s) => s.stop()));
      await bus.close();
    }, 30_000);

    test('delivers published messages with key, JSON value, headers, offset and timestamp', async () => {
      const before = Date.now();
      await bus.publish(topic, [
        { key: 'device-1', value: { at: new Date(0), reading: 21.5, dropped: undefined }, headers: { tenant: 't1' } },
        { key: 'device-1', value: 'plain' },
      ]);
      const batches: Batch[] = [];
      const { received } = await consume(group('g'), { onBatch: (b) => batches.push(b) });
      await eventually(() => received.length === 2, within);
      expect(received.map(({ key, value, headers }) => ({ key, value, headers }))).toEqual([
        { key: 'device-1', value: { at: '1970-01-01T00:00:00.000Z', reading: 21.5 }, headers: { tenant: 't1' } },
        { key: 'device-1', value: 'plain', headers: {} },
      ]);
      expect(batches.every((b) => b.topic === topic && Number.isInteger(b.partition))).toBe(true);
      const [first, second] = received;
      expect(BigInt(second!.offset)).toBeGreaterThan(BigInt(first!.offset));
      expect(first!.timestamp).toBeGreaterThanOrEqual(before - 1_000);
    });

    test('refuses a linger without a positive minMessages or with a negative maxWaitMs', async () => {
      const handleBatch = async () => undefined;
      await expect(bus.subscribe({ topic, groupId: group('l'), handleBatch, linger: { minMessages: 0, maxWaitMs: 10 } })).rejects.toThrow(RangeError);
      await expect(bus.subscribe({ topic, groupId: group('l'), handleBatch, linger: { minMessages: 5, maxWaitMs: -1 } })).rejects.toThrow(RangeError);
    });

    test('still delivers every message, in order, to a lingering consumer', async () => {
      const received: unknown[] = [];
      subscriptions.push(
        await bus.subscribe({
          topic, groupId: group('linger'), fromBeginning: true, linger: { minMessages: 1_000, maxWaitMs: 200 },
          handleBatch: async (batch) => void received.push(...batch.messages.map((m) => m.value)),
        }),
      );
      await publishValues('k', [1, 2, 3]);
      await eventually(() => received.length === 3, within);
      expect(received).toEqual([1, 2, 3]);
    });

    test('rejects a value that is not JSON', async () => {
      await expect(bus.publish(topic, [{ key: 'k', value: undefined }])).rejects.toThrow(TypeError);
    });

    test('keeps the order of messages with the same key', async () => {
      const keys = ['a', 'b', 'c', 'd', 'e'];
      const { received } = await consume(group('order'));
      for (let round = 0; round < 4; round++) {
        await bus.publish(topic, keys.flatMap((key) => Array.from({ length: 5 }, (_, i) => ({ key, value: round * 5 + i }))));
      }
      await eventually(() => received.length === 100, within);
      for (const key of keys) {
        expect(received.filter((m) => m.key === key).map((m) => m.value)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      }
    });

    test('splits a group between its members, each message going to one of them', async () => {
      const groupId = group('shared');
      const one = await consume(groupId);
      const two = await consume(groupId);
      await bus.publish(topic, Array.from({ length: 60 }, (_, i) => ({ key: `device-${i}`, value: i })));
      await eventually(() => one.received.length + two.received.length >= 60, within);
      const all = [...one.values(), ...two.values()] as number[];
      expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
      expect(one.received.length).toBeGreaterThan(0);
      expect(two.received.length).toBeGreaterThan(0);
    });

    test('gives every group every message', async () => {
      const one = await consume(group('one'));
      const two = await consume(group('two'));
      await bus.publish(topic, Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 4}`, value: i })));
      await eventually(() => one.received.length === 20 && two.received.length === 20, within);
      const sorted = (values: unknown[]) => (values as number[]).sort((a, b) => a - b);
      expect(sorted(one.values())).toEqual(sorted(two.values()));
    });

    test('redelivers a batch whose handler threw, losing nothing', async () => {
      const processed: unknown[] = [];
      let failures = 0;
      const groupId = group('retry');
      subscriptions.push(
        await bus.subscribe({
          topic,
          groupId,
          fromBeginning: true,
          handleBatch: async (batch) => {
            const values = batch.messages.map((m) => m.value);
            if (values.includes('m2') && failures < 2) {
              failures++;
              throw new Error('transient failure');
            }
            processed.push(...values);
          },
        }),
      );
      await publishValues('same-key', ['m1', 'm2', 'm3']);
      await publishValues('same-key', ['m4', 'm5']);
      await eventually(() => processed.includes('m5'), within);
      expect(failures).toBe(2);
      expect(errors.map((e) => e.attempt)).toEqual([1, 2]);
      expect(errors.every((e) => e.topic === topic && e.groupId === groupId)).toBe(true);
      expect(processed).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    });

    test('resumes a group after its last committed message when a consumer restarts', async () => {
      const groupId = group('restart');
      const first = await consume(groupId);
      await publishValues('same-key', ['m1', 'm2', 'm3']);
      await eventually(() => first.received.length === 3, within);
      await first.subscription.stop();
      await publishValues('same-key', ['m4', 'm5']);
      // fromBeginning must not matter once the group has committed offsets.
      const second = await consume(groupId, { fromBeginning: true });
      await eventually(() => second.values().includes('m5'), within);
      // One key means one partition: any redelivery of m1..m3 would have come before m4.
      expect(second.values()).toEqual(['m4', 'm5']);
      expect(first.values()).toEqual(['m1', 'm2', 'm3']);
    });

    test('replays retained messages to a new group only with fromBeginning', async () => {
      await publishValues('same-key', ['old-1', 'old-2']);
      const replaying = await consume(group('replay'), { fromBeginning: true });
      const latest = await consume(group('latest'), { fromBeginning: false });
      await eventually(() => replaying.received.length === 2, within);
      expect(replaying.values()).toEqual(['old-1', 'old-2']);
      // Publish until the latest-only group sees something; old messages (same partition)
      // would arrive first, so none may appear.
      await eventually(
        async () => {
          await publishValues('same-key', ['new']);
          return eventually(() => latest.received.length > 0, { timeoutMs: 500 }).then(() => true, () => false);
        },
        within,
      );
      expect(latest.values().every((v) => v === 'new')).toBe(true);
    });

    test('stops delivering to a stopped consumer; stop is idempotent', async () => {
      const stopped = await consume(group('stopped'));
      const sentinel = await consume(group('sentinel'));
      await stopped.subscription.stop();
      await stopped.subscription.stop();
      await publishValues('k', ['after stop']);
      await eventually(() => sentinel.received.length === 1, within);
      expect(stopped.received).toEqual([]);
    });

    test('rejects publish and subscribe after close; close is idempotent', async () => {
      await bus.close();
      await bus.close();
      await expect(publishValues('k', ['late'])).rejects.toThrow(/closed/);
      await expect(consume(group('late'))).rejects.toThrow(/closed/);
    });
  });
}
