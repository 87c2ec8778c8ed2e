import { eventBusContract } from './event-bus.contract';
import type { BusErrorContext } from './event-bus';
import { createMemoryBus } from './memory-bus';
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
});
