import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { GraphQLRequestError, LatencyHistogram, type AcceptedEvent, type GraphQLClient } from '@ump/ingest/src/simulator';

/** Options of `createE2eProbe`. */
export interface E2eProbeOptions {
  /** A client signed in as a user of the simulated tenant. */
  api: Pick<GraphQLClient, 'request'>;
  /** Take one sample per this many ms of accepted messages (default 1,000). */
  intervalMs?: number;
  /**
   * How often a young sample polls the API (default 25 ms). Older ones poll every tenth of
   * their age (at most once a second), so the resolution stays within 10 % of the latency
   * while a lagging writer is not buried under the probe's own reads.
   */
  pollMs?: number;
  /** A sample not readable after this long counts as timed out (default 30,000 ms). */
  timeoutMs?: number;
}

/** What the probe measured. */
export interface E2eResult {
  latency: LatencyHistogram;
  sampled: number;
  timedOut: number;
  errors: Record<string, number>;
  /** Set when the API cannot answer the query at all (e.g. the analytics subgraph is not there). */
  unavailable?: string;
  pollMs: number;
}

const SERIES = `query BenchE2e($id: ID!, $from: DateTime!, $to: DateTime!) {
  device(id: $id) { series(key: "seq", from: $from, to: $to, bucket: "1s", agg: MAX) { ts value } }
}`;
const seriesData = z.object({
  device: z.object({ series: z.array(z.object({ ts: z.string(), value: z.number().nullable() })) }).nullable(),
});

/**
 * End-to-end latency: every `intervalMs`, one accepted message is followed until its point is
 * readable through GraphQL — `device(id).series(key: "seq", …, bucket: "1s", agg: MAX)` over the
 * second holding the point reaching the message's `seq` — and the time from sending to that
 * answer is recorded. Errors that no retry will fix (the field does not exist, no permission)
 * stop all sampling and are reported as `unavailable`.
 */
export function createE2eProbe(opts: E2eProbeOptions) {
  const intervalMs = opts.intervalMs ?? 1_000;
  const pollMs = opts.pollMs ?? 25;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const result: E2eResult = { latency: new LatencyHistogram(), sampled: 0, timedOut: 0, errors: {}, pollMs };
  const pending = new Set<Promise<void>>();
  let lastSample = Number.NEGATIVE_INFINITY;

  const follow = async (event: AcceptedEvent) => {
    const from = Math.floor(event.message.ts / 1000) * 1000;
    const variables = { id: event.device.id, from: new Date(from).toISOString(), to: new Date(from + 1000).toISOString() };
    const deadline = event.sentAt + timeoutMs;
    while (!result.unavailable) {
      try {
        const data = await opts.api.request(SERIES, variables, seriesData);
        if (data.device?.series.some((p) => p.value !== null && p.value >= event.message.seq)) {
          result.latency.record(Date.now() - event.sentAt);
          return;
        }
      } catch (error) {
        if (isPermanent(error)) {
          result.unavailable = (error as Error).message;
          return;
        }
        const reason = error instanceof GraphQLRequestError ? error.codes.join(',') || `http-${error.status}` : 'network';
        result.errors[reason] = (result.errors[reason] ?? 0) + 1;
      }
      if (Date.now() > deadline) {
        result.timedOut += 1;
        return;
      }
      await delay(Math.min(Math.max(pollMs, (Date.now() - event.sentAt) / 10), 1_000));
    }
  };

  return {
    result,
    /** Offers an accepted message; takes it as a sample if the last one is `intervalMs` old. */
    offer(event: AcceptedEvent) {
      if (result.unavailable || event.sentAt - lastSample < intervalMs) return;
      lastSample = event.sentAt;
      result.sampled += 1;
      const p = follow(event).finally(() => pending.delete(p));
      pending.add(p);
    },
    /** Waits for the samples still being followed (each ends by its timeout at the latest). */
    async drain(): Promise<E2eResult> {
      while (pending.size) await Promise.all([...pending]);
      return result;
    },
  };
}

function isPermanent(error: unknown): boolean {
  if (!(error instanceof GraphQLRequestError)) return false;
  const permanent = ['GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'FORBIDDEN', 'UNAUTHENTICATED'];
  return error.codes.some((c) => permanent.includes(c)) || /Cannot query field/.test(error.message);
}
