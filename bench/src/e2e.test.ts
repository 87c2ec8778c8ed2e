import { z } from 'zod';
import { GraphQLRequestError, type AcceptedEvent } from '@ump/ingest/src/simulator';
import { createE2eProbe } from './e2e';

/** A GraphQL client answering from `answer`, counting calls; no network. */
function fakeApi(answer: (variables: Record<string, unknown>, call: number) => unknown) {
  const api = {
    calls: 0,
    async request<S extends z.ZodType>(_query: string, variables: Record<string, unknown>, schema: S): Promise<z.infer<S>> {
      api.calls += 1;
      return schema.parse(answer(variables, api.calls));
    },
  };
  return api;
}

const event = (seq: number, sentAt: number): AcceptedEvent => ({
  device: { index: 1, id: 'dev-1', name: 'sim-00001', token: 't' },
  message: { payload: { ts: 1_700_000_000_500, values: { seq } }, points: 1, dataPoints: 1, seq, ts: 1_700_000_000_500 },
  sentAt,
  latencyMs: 1,
});

describe('createE2eProbe', () => {
  it('polls the second holding the point until its seq is readable, then records the latency', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const api = fakeApi((variables, call) => {
      seen.push(variables);
      return { device: { series: call < 3 ? [] : [{ ts: '2023-11-14T22:13:20.000Z', value: 7 }] } };
    });
    const probe = createE2eProbe({ api, pollMs: 1 });
    probe.offer(event(7, Date.now()));
    const result = await probe.drain();
    expect(api.calls).toBe(3);
    expect(seen[0]).toEqual({ id: 'dev-1', from: '2023-11-14T22:13:20.000Z', to: '2023-11-14T22:13:21.000Z' });
    expect(result).toMatchObject({ sampled: 1, timedOut: 0, errors: {} });
    expect(result.latency.count).toBe(1);
  });

  it('takes one sample per interval', async () => {
    const api = fakeApi(() => ({ device: { series: [{ ts: 'x', value: 100 }] } }));
    const probe = createE2eProbe({ api, intervalMs: 1_000, pollMs: 1 });
    const now = Date.now();
    for (const offset of [0, 10, 500, 999, 1_000, 1_500, 2_100]) probe.offer(event(1, now + offset));
    expect((await probe.drain()).sampled).toBe(3);
  });

  it('stops sampling when the API cannot answer the query at all', async () => {
    const api = fakeApi(() => {
      throw new GraphQLRequestError('Cannot query field "series" on type "Device".', ['GRAPHQL_VALIDATION_FAILED'], 400);
    });
    const probe = createE2eProbe({ api, intervalMs: 0, pollMs: 1 });
    probe.offer(event(1, Date.now()));
    await probe.drain();
    probe.offer(event(2, Date.now() + 1));
    const result = await probe.drain();
    expect(result.unavailable).toContain('Cannot query field');
    expect(result.sampled).toBe(1);
  });

  it('counts transient errors and gives up on a sample after its timeout', async () => {
    const api = fakeApi((_v, call) => {
      if (call === 1) throw new GraphQLRequestError('slow down', ['RATE_LIMITED'], 200);
      return { device: { series: [{ ts: 'x', value: 1 }] } };
    });
    const probe = createE2eProbe({ api, pollMs: 1, timeoutMs: 20 });
    probe.offer(event(5, Date.now()));
    const result = await probe.drain();
    expect(result).toMatchObject({ timedOut: 1, errors: { RATE_LIMITED: 1 } });
    expect(result.latency.count).toBe(0);
  });
});
