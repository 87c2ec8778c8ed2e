import { createPublishBatcher } from './publish-batcher';

/** A send whose requests stay in flight until released, recording what each carried. */
function heldSend() {
  const requests: Array<{ topic: string; values: string[]; release: (error?: Error) => void }> = [];
  const send = (topic: string, _messages: string[], values: string[]) =>
    new Promise<void>((resolve, reject) => requests.push({ topic, values, release: (error) => (error ? reject(error) : resolve()) }));
  return { requests, send };
}
const settle = () => new Promise((resolve) => setImmediate(resolve));
const publishOne = (batcher: ReturnType<typeof createPublishBatcher<string>>, topic: string, value: string) => batcher.publish(topic, [value], [value]);

describe('publish batcher', () => {
  it('sends a publish on an idle topic at once, and what arrives meanwhile in the next request, in order', async () => {
    const { requests, send } = heldSend();
    const batcher = createPublishBatcher(send);
    const first = publishOne(batcher, 't', 'a');
    expect(requests.map((r) => r.values)).toEqual([['a']]);
    const rest = ['b', 'c', 'd'].map((v) => publishOne(batcher, 't', v));
    await settle();
    expect(requests).toHaveLength(1);
    requests[0]!.release();
    await first;
    await settle();
    expect(requests.map((r) => r.values)).toEqual([['a'], ['b', 'c', 'd']]);
    requests[1]!.release();
    await Promise.all(rest);
  });

  it('fails exactly the publishes of a failed request, and goes on with the next', async () => {
    const { requests, send } = heldSend();
    const batcher = createPublishBatcher(send);
    const first = publishOne(batcher, 't', 'a');
    const second = publishOne(batcher, 't', 'b');
    const third = publishOne(batcher, 't', 'c');
    requests[0]!.release();
    await first;
    await settle();
    requests[1]!.release(new Error('broker gone'));
    await expect(second).rejects.toThrow('broker gone');
    await expect(third).rejects.toThrow('broker gone');
    const later = publishOne(batcher, 't', 'd');
    await settle();
    expect(requests[2]!.values).toEqual(['d']);
    requests[2]!.release();
    await later;
  });

  it('keeps a request under maxRequestBytes, sending a larger publish alone', async () => {
    const { requests, send } = heldSend();
    const batcher = createPublishBatcher(send, 10);
    const all = [publishOne(batcher, 't', 'x'), ...['aaaa', 'bbbb', 'cccc', 'dddddddddddddddd', 'e'].map((v) => publishOne(batcher, 't', v))];
    for (let i = 0; i < 5; i++) {
      await settle();
      requests[i]!.release();
    }
    await Promise.all(all);
    expect(requests.map((r) => r.values)).toEqual([['x'], ['aaaa', 'bbbb'], ['cccc'], ['dddddddddddddddd'], ['e']]);
  });

  it('does not hold one topic behind another', async () => {
    const { requests, send } = heldSend();
    const batcher = createPublishBatcher(send);
    void publishOne(batcher, 'a', '1');
    void publishOne(batcher, 'b', '2');
    expect(requests.map((r) => [r.topic, r.values])).toEqual([['a', ['1']], ['b', ['2']]]);
  });

  it('counts per topic what is queued or in flight until its request settles', async () => {
    const { requests, send } = heldSend();
    const batcher = createPublishBatcher(send);
    const sent = [publishOne(batcher, 't', 'a'), batcher.publish('t', ['b', 'c'], ['b', 'c']), publishOne(batcher, 'u', 'd')];
    expect([batcher.pending('t'), batcher.pending('u'), batcher.pending('other')]).toEqual([3, 1, 0]);
    requests[0]!.release();
    await settle();
    expect(batcher.pending('t')).toBe(2);
    requests[1]!.release(new Error('broker gone'));
    requests[2]!.release();
    await Promise.allSettled(sent);
    expect([batcher.pending('t'), batcher.pending('u')]).toEqual([0, 0]);
  });
});
