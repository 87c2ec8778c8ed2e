import type { IncomingMessage } from '@ump/core';
import { batchToken, consumerKey, entryToken, planBatch, type JournalEntry } from './plan';

const messages = (from: number, to: number): IncomingMessage[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ key: 'd', value: { n: from + i }, headers: {}, offset: String(from + i), timestamp: 0 }));
const entry = (first: number, last: number, acked: boolean): JournalEntry => ({
  firstOffset: BigInt(first), lastOffset: BigInt(last), token: `t${first}`, acked, points: [],
});
const offsets = (list: IncomingMessage[]) => list.map((m) => Number(m.offset));

describe('planBatch', () => {
  it('treats a batch no entry overlaps as fresh', () => {
    expect(planBatch(messages(0, 4), [])).toEqual({ replay: [], fresh: messages(0, 4), covered: 0 });
  });

  it('replays unacknowledged entries, skips what any entry covers, and keeps the rest fresh', () => {
    // A redelivery after a crash, bigger than the first attempts: two entries were acked
    // (their commit was lost), the last one was not.
    const plan = planBatch(messages(10, 40), [entry(20, 29, false), entry(10, 14, true), entry(15, 19, true)]);
    expect(plan.replay).toEqual([entry(20, 29, false)]);
    expect(offsets(plan.fresh)).toEqual(Array.from({ length: 11 }, (_, i) => 30 + i));
    expect(plan.covered).toBe(20);
  });

  it('replays an entry whole from the journal when the redelivery ends inside it', () => {
    const plan = planBatch(messages(20, 23), [entry(20, 29, false)]);
    expect(plan).toEqual({ replay: [entry(20, 29, false)], fresh: [], covered: 4 });
    // The next batch starts inside the entry: nothing of it is fresh either.
    expect(planBatch(messages(24, 33), [entry(20, 29, true)]).fresh).toEqual(messages(30, 33));
  });

  it('orders replays by offset', () => {
    expect(planBatch(messages(0, 9), [entry(5, 9, false), entry(0, 4, false)]).replay.map((e) => e.firstOffset)).toEqual([0n, 5n]);
  });
});

describe('entryToken', () => {
  it('is stable for a consumer and range and differs for any other', () => {
    const consumer = consumerKey('telemetry-writer', 'telemetry.v1', 2);
    expect(consumer).toBe('telemetry-writer/telemetry.v1/2');
    expect(entryToken(consumer, 10n, 19n)).toBe(entryToken(consumer, 10n, 19n));
    const others = [entryToken(consumer, 10n, 18n), entryToken(consumer, 11n, 19n), entryToken(consumerKey('g2', 'telemetry.v1', 2), 10n, 19n)];
    expect(new Set([entryToken(consumer, 10n, 19n), ...others]).size).toBe(4);
  });
});

describe('batchToken', () => {
  it('is stable for the same messages and differs for any other batch or consumer', () => {
    const ids = (...list: string[]) => list.map((messageId) => ({ messageId }));
    const consumer = consumerKey('telemetry-writer', 'telemetry.v1', 0);
    expect(batchToken(consumer, ids('a', 'b'))).toBe(batchToken(consumer, ids('a', 'b')));
    const others = [batchToken(consumer, ids('a')), batchToken(consumer, ids('b', 'a')), batchToken(consumer, ids('ab')), batchToken(consumerKey('g2', 'telemetry.v1', 0), ids('a', 'b'))];
    expect(new Set([batchToken(consumer, ids('a', 'b')), ...others]).size).toBe(5);
  });
});
