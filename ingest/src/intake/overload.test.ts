import { createLogger } from '@ump/core';
import { eventually, sleep } from '@ump/core/src/testing/eventually';
import { createOverloadGate } from './overload';

const logger = createLogger({ name: 'overload', level: 'silent', format: 'json' });

describe('overload gate', () => {
  let buffered = 0;
  const samples: boolean[] = [];
  const gate = createOverloadGate({ buffered: () => buffered, maxBuffered: 10, checkEveryMs: 5, logger, onSample: ({ overloaded }) => samples.push(overloaded) });
  beforeAll(() => gate.start());
  afterAll(() => gate.stop());

  test('closes at maxBuffered and lets waiters through in order, as many as there is room', async () => {
    expect(gate.wait()).toBeUndefined();
    buffered = 10;
    await eventually(() => gate.overloaded);
    const released: number[] = [];
    // A released waiter publishes: the bus then holds one more.
    const waiting = [1, 2, 3].map((n) => gate.wait()!.then(() => (buffered++, released.push(n))));
    await sleep(30);
    expect(released).toEqual([]);
    buffered = 8; // room for two
    await eventually(() => released.length === 2);
    await sleep(30);
    expect([gate.overloaded, released]).toEqual([true, [1, 2]]);
    buffered = 9; // a consumer took one: room for the third
    await Promise.all(waiting);
    expect(released).toEqual([1, 2, 3]);
    buffered = 4;
    await eventually(() => !gate.overloaded);
    expect(gate.wait()).toBeUndefined();
    expect(samples).toContain(true);
  });

  test('stop lets every waiter through', async () => {
    buffered = 50;
    await eventually(() => gate.overloaded);
    const waiting = gate.wait()!;
    gate.stop();
    await waiting;
    expect(gate.overloaded).toBe(false);
    buffered = 0;
    gate.start();
  });
});
