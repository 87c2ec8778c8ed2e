import { eventBusContract } from './event-bus.contract';
import type { BusErrorContext } from './event-bus';
import { createMemoryBus, partitionOf } from './memory-bus';
import { eventually } from '../testing/eventually';

eventBusContract('memory', async (options) => createMemoryBus({ retryBackoffMs: 10, ...options }));

describe('memory bus', () => {
  it('reports handler failures with their context and backs off exponentially', async () => {
    const failures: Array<{ context: BusErrorContext; at: number }> = [];
    const bus = createMemoryBus({
      retryBackoffMs: 20,
      onError: (_error, context) => failures.push({ context, at: Date.now() }),
    });
    let calls = 0;
    await bus.subscribe({
      topic: 't.v1',
      groupId: 'g',
      handleBatch: async () => {
        if (++calls <= 3) throw new Error('down');
      },
    });
    await bus.publish('t.v1', [{ key: 'k', value: 1 }]);
    await eventually(() => calls === 4);
    expect(failures.map((f) => f.context.attempt)).toEqual([1, 2, 3]);
    expect(failures[0]!.context).toMatchObject({ topic: 't.v1', groupId: 'g', offset: '0' });
    // Back-offs of 20 then 40 ms (timers may fire a little early or late, never much early).
    expect(failures[2]!.at - failures[0]!.at).toBeGreaterThanOrEqual(55);
    await bus.close();
  });

  it('partitions by FNV-1a over the UTF-8 bytes of the key, ASCII or not', () => {
    const fnv1a = (key: string) => [...Buffer.from(key, 'utf8')].reduce((hash, byte) => Math.imul(hash ^ byte, 0x01000193), 0x811c9dc5) >>> 0;
    for (const key of ['', 'device-1', '0190a5b2-7c1d-7e3f-9a1b-2c3d4e5f6a7b', 'größe', 'd\u{1F600}']) {
      for (const partitions of [1, 3, 7]) expect(partitionOf(key, partitions)).toBe(fnv1a(key) % partitions);
    }
    // Known FNV-1a 32-bit values, so a change to the function itself shows too.
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(partitionOf('a', 0x7fffffff)).toBe(0xe40c292c % 0x7fffffff);
  });

  it('counts as buffered what the slowest group has not committed, or with no group everything retained', async () => {
    const bus = createMemoryBus({ partitions: 2 });
    const publish = (n: number) => bus.publish('t.v1', Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: i })));
    expect(bus.buffered('t.v1')).toBe(0);
    await publish(4);
    expect(bus.buffered('t.v1')).toBe(4);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let fastSeen = 0;
    await bus.subscribe({ topic: 't.v1', groupId: 'fast', fromBeginning: true, handleBatch: async (batch) => void (fastSeen += batch.messages.length) });
    await bus.subscribe({ topic: 't.v1', groupId: 'slow', handleBatch: () => held });
    await publish(3);
    await eventually(() => fastSeen === 7);
    expect(bus.buffered('t.v1')).toBe(3);
    expect(bus.buffered('other.v1')).toBe(0);
    release();
    await eventually(() => bus.buffered('t.v1') === 0);
    await bus.close();
  });

  it('redelivers a failed batch as exactly the same messages, to a member that joined since too', async () => {
    // The telemetry writer's in-process path dedupes by a batch's messages and relies on this.
    const bus = createMemoryBus({ partitions: 1, maxBatchSize: 10, retryBackoffMs: 20, onError: () => undefined });
    expect(bus.inProcess).toBe(true);
    const batches: number[][] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = await bus.subscribe({
      topic: 't.v1',
      groupId: 'g',
      handleBatch: async (batch) => {
        batches.push(batch.messages.map((m) => m.value as number));
        await held;
        throw new Error('down');
      },
    });
    await bus.publish('t.v1', [0, 1, 2].map((value) => ({ key: 'k', value })));
    await eventually(() => batches.length === 1);
    // More messages arrive and the failing member hands over to a new one before the retry.
    await bus.publish('t.v1', [3, 4].map((value) => ({ key: 'k', value })));
    const stopped = first.stop();
    release();
    await stopped;
    await bus.subscribe({ topic: 't.v1', groupId: 'g', handleBatch: async (batch) => void batches.push(batch.messages.map((m) => m.value as number)) });
    await eventually(() => batches.flat().length === 8);
    expect(batches).toEqual([[0, 1, 2], [0, 1, 2], [3, 4]]);
    await bus.close();
  });

  it('spreads keys over the configured number of partitions', async () => {
    const bus = createMemoryBus({ partitions: 5 });
    const partitions = new Set<number>();
    let seen = 0;
    await bus.subscribe({
      topic: 't.v1',
      groupId: 'g',
      handleBatch: async (batch) => {
        partitions.add(batch.partition);
        seen += batch.messages.length;
      },
    });
    await bus.publish('t.v1', Array.from({ length: 50 }, (_, i) => ({ key: `device-${i}`, value: i })));
    await eventually(() => seen === 50);
    expect([...partitions].sort()).toEqual([0, 1, 2, 3, 4]);
    await bus.close();
  });

  it('caps batches at maxBatchSize', async () => {
    const bus = createMemoryBus({ maxBatchSize: 4 });
    const sizes: number[] = [];
    await bus.subscribe({ topic: 't.v1', groupId: 'g', handleBatch: async (b) => void sizes.push(b.messages.length) });
    await bus.publish('t.v1', Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: i })));
    await eventually(() => sizes.reduce((a, b) => a + b, 0) === 10);
    expect(sizes).toEqual([4, 4, 2]);
    await bus.close();
  });

  it('accepts all of a publish or none of it', async () => {
    const bus = createMemoryBus();
    const seen: unknown[] = [];
    await bus.subscribe({ topic: 't.v1', groupId: 'g', fromBeginning: true, handleBatch: async (b) => void seen.push(...b.messages.map((m) => m.value)) });
    const bad = [{ key: 'k', value: 'fine' }, { key: 'k', value: 1, headers: { n: 1 as unknown as string } }];
    await expect(bus.publish('t.v1', bad)).rejects.toThrow(/header n/);
    await bus.publish('t.v1', [{ key: 'k', value: 'only' }]);
    await eventually(() => seen.length > 0);
    expect(seen).toEqual(['only']);
    await bus.close();
  });

  it('waits on close for a batch in progress', async () => {
    const bus = createMemoryBus();
    let finished = false;
    let started = false;
    await bus.subscribe({
      topic: 't.v1',
      groupId: 'g',
      handleBatch: async () => {
        started = true;
        await new Promise((resolve) => setTimeout(resolve, 50));
        finished = true;
      },
    });
    await bus.publish('t.v1', [{ key: 'k', value: 1 }]);
    await eventually(() => started);
    await bus.close();
    expect(finished).toBe(true);
  });

  it('rejects invalid options', () => {
    expect(() => createMemoryBus({ partitions: 0 })).toThrow(RangeError);
    expect(() => createMemoryBus({ maxBatchSize: 1.5 })).toThrow(RangeError);
  });

  describe('linger', () => {
    const subscribe = async (bus: ReturnType<typeof createMemoryBus>, linger: { minMessages: number; maxWaitMs: number }) => {
      const batches: Array<{ size: number; at: number }> = [];
      await bus.subscribe({ topic: 't.v1', groupId: 'g', linger, handleBatch: async (batch) => void batches.push({ size: batch.messages.length, at: Date.now() }) });
      return batches;
    };

    it('holds a short batch until the oldest message has waited maxWaitMs', async () => {
      const bus = createMemoryBus({ partitions: 1 });
      const batches = await subscribe(bus, { minMessages: 100, maxWaitMs: 300 });
      const sentAt = Date.now();
      await bus.publish('t.v1', [{ key: 'k', value: 1 }]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await bus.publish('t.v1', [{ key: 'k', value: 2 }]);
      await eventually(() => batches.length > 0);
      expect(batches[0]!.size).toBe(2);
      expect(batches[0]!.at - sentAt).toBeGreaterThanOrEqual(290);
      await bus.close();
    });

    it('hands a batch over as soon as minMessages are there, or the most a batch holds', async () => {
      const bus = createMemoryBus({ partitions: 1, maxBatchSize: 50 });
      const batches = await subscribe(bus, { minMessages: 3, maxWaitMs: 60_000 });
      await bus.publish('t.v1', [1, 2].map((value) => ({ key: 'k', value })));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(batches).toEqual([]);
      await bus.publish('t.v1', [{ key: 'k', value: 3 }]);
      await eventually(() => batches.length === 1);
      const big = createMemoryBus({ partitions: 1, maxBatchSize: 5 });
      const full = await subscribe(big, { minMessages: 1_000, maxWaitMs: 60_000 });
      await big.publish('t.v1', Array.from({ length: 5 }, (_, value) => ({ key: 'k', value })));
      await eventually(() => full.length === 1);
      expect(full[0]!.size).toBe(5);
      await Promise.all([bus.close(), big.close()]);
    });
  });

  it('forgets consumed messages beyond retainConsumed, keeping offsets and late groups consistent', async () => {
    const bus = createMemoryBus({ partitions: 1, retainConsumed: 3 });
    const seen: string[] = [];
    await bus.subscribe({ topic: 't.v1', groupId: 'a', fromBeginning: true, handleBatch: async (b) => void seen.push(...b.messages.map((m) => m.offset)) });
    for (let i = 0; i < 10; i++) await bus.publish('t.v1', [{ key: 'k', value: i }]);
    await eventually(() => seen.length === 10);
    expect(seen).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    // A group created now replays only what was kept: the last three, at their own offsets.
    const late: Array<{ offset: string; value: unknown }> = [];
    await bus.subscribe({ topic: 't.v1', groupId: 'b', fromBeginning: true, handleBatch: async (b) => void late.push(...b.messages.map(({ offset, value }) => ({ offset, value }))) });
    await eventually(() => late.length === 3);
    expect(late).toEqual([{ offset: '7', value: 7 }, { offset: '8', value: 8 }, { offset: '9', value: 9 }]);
    await bus.publish('t.v1', [{ key: 'k', value: 10 }]);
    await eventually(() => seen.length === 11 && late.length === 4);
    expect([seen[10], late[3]!.offset]).toEqual(['10', '10']);
    await bus.close();
  });

  it('keeps messages another group has not consumed yet, for its redelivery', async () => {
    const bus = createMemoryBus({ partitions: 1, retainConsumed: 0, retryBackoffMs: 50, onError: () => undefined });
    const fast: unknown[] = [];
    const slow: unknown[] = [];
    let attempts = 0;
    await bus.subscribe({ topic: 't.v1', groupId: 'fast', handleBatch: async (b) => void fast.push(...b.messages.map((m) => m.value)) });
    await bus.subscribe({
      topic: 't.v1',
      groupId: 'slow',
      handleBatch: async (b) => {
        if (++attempts === 1) throw new Error('not yet'); // redelivered from the log after the fast group committed
        slow.push(...b.messages.map((m) => m.value));
      },
    });
    await bus.publish('t.v1', [1, 2, 3].map((value) => ({ key: 'k', value })));
    await eventually(() => slow.length === 3);
    expect({ fast, slow }).toEqual({ fast: [1, 2, 3], slow: [1, 2, 3] });
    await bus.close();
  });

  it('refuses a retainConsumed that is not a non-negative integer', () => {
    expect(() => createMemoryBus({ retainConsumed: -1 })).toThrow(RangeError);
    expect(() => createMemoryBus({ retainConsumed: 1.5 })).toThrow(RangeError);
  });
});
