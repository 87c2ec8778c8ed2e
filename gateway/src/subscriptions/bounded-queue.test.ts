import { BoundedQueue } from './bounded-queue';

describe('BoundedQueue', () => {
  it('hands items out in order and refuses the one past its capacity', async () => {
    const queue = new BoundedQueue<number>(2);
    expect(queue.push(1)).toBe(true);
    expect(queue.push(2)).toBe(true);
    expect(queue.push(3)).toBe(false);
    expect(queue.size).toBe(2);
    expect(await queue.next()).toEqual({ value: 1, done: false });
    expect(queue.push(4)).toBe(true);
    expect(await queue.next()).toEqual({ value: 2, done: false });
    expect(await queue.next()).toEqual({ value: 4, done: false });
  });

  it('wakes a waiting reader without queueing', async () => {
    const queue = new BoundedQueue<string>(1);
    const waiting = queue.next();
    expect(queue.push('a')).toBe(true);
    expect(await waiting).toEqual({ value: 'a', done: false });
    expect(queue.size).toBe(0);
  });

  it('ends a pending read on close, drops what was queued and refuses more', async () => {
    const queue = new BoundedQueue<number>(3);
    const waiting = queue.next();
    queue.close();
    expect(await waiting).toEqual({ value: undefined, done: true });
    const other = new BoundedQueue<number>(3);
    other.push(1);
    await other.return();
    expect(other.size).toBe(0);
    expect(other.push(2)).toBe(false);
    expect(await other.next()).toEqual({ value: undefined, done: true });
  });

  it('needs a positive capacity', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
  });
});
