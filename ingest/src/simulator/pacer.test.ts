import { pace } from './pacer';

describe('pace', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  function record(opts: { devices: number; rate: number; durationMs?: number; signal?: AbortSignal }) {
    const fired: Array<{ device: number; at: number }> = [];
    const done = pace({
      ...opts,
      signal: opts.signal ?? new AbortController().signal,
      now: () => Date.now(),
      onDue: (device) => fired.push({ device, at: Date.now() }),
    });
    return { fired, done };
  }

  it('spreads the devices evenly over one interval, then repeats every 1/rate seconds', async () => {
    const { fired, done } = record({ devices: 4, rate: 2, durationMs: 1_000 });
    await jest.advanceTimersByTimeAsync(1_000);
    await done;
    expect(fired).toEqual([
      { device: 0, at: 0 },
      { device: 1, at: 125 },
      { device: 2, at: 250 },
      { device: 3, at: 375 },
      { device: 0, at: 500 },
      { device: 1, at: 625 },
      { device: 2, at: 750 },
      { device: 3, at: 875 },
    ]);
  });

  it('handles fractional rates: 3 devices at 0.1/s each send once in 10 s', async () => {
    const { fired, done } = record({ devices: 3, rate: 0.1, durationMs: 10_000 });
    await jest.advanceTimersByTimeAsync(10_000);
    await done;
    expect(fired.map((f) => f.device)).toEqual([0, 1, 2]);
    expect(fired.map((f) => f.at)).toEqual([0, 3_334, 6_667]);
  });

  it('sends exactly devices × rate × duration messages at high rates', async () => {
    const { fired, done } = record({ devices: 1_000, rate: 10, durationMs: 2_000 });
    // The last message is due at 1,999.9 ms; the run ends on the timer that follows it.
    jest.advanceTimersByTime(2_001);
    await done;
    expect(fired).toHaveLength(20_000);
    const perDevice = new Map<number, number>();
    for (const { device } of fired) perDevice.set(device, (perDevice.get(device) ?? 0) + 1);
    expect(new Set(perDevice.values())).toEqual(new Set([20]));
  });

  it('lasts its full duration even when the last message went out early', async () => {
    const { done } = record({ devices: 1, rate: 1, durationMs: 3_000 });
    let finished = false;
    void done.then(() => (finished = true));
    await jest.advanceTimersByTimeAsync(2_999);
    expect(finished).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(finished).toBe(true);
  });

  it('runs until aborted when no duration is given', async () => {
    const stop = new AbortController();
    const { fired, done } = record({ devices: 2, rate: 1, signal: stop.signal });
    await jest.advanceTimersByTimeAsync(9_999);
    stop.abort();
    await done;
    expect(fired).toHaveLength(20);
  });
});
