import { createHash } from 'node:crypto';
import type { IncomingMessage, TelemetryStore } from '@ump/core';

/*
 * Exactly-once writes over an at-least-once bus
 * =============================================
 *
 * ClickHouse drops an insert whose `insert_deduplication_token` it has seen before (and,
 * with deduplicate_blocks_in_dependent_materialized_views, the rollup blocks it fed). That
 * only makes a retry harmless if the retry is the SAME block under the SAME token: the
 * token replaces the content hash, so a retry that holds more or fewer rows is either
 * inserted again (duplicates) or dropped whole (lost rows).
 *
 * Tokens derived from a batch's offsets are not enough, because the bus does not promise
 * the same batch twice. After a crash Kafka resumes from the last COMMITTED offset — which
 * may lag several handled batches behind — and hands out whatever one fetch returns: a
 * batch that spans several earlier batches, or ends in the middle of one. Fixed offset
 * buckets (e.g. blocks of 1000 offsets) do not help either: a bucket written half-full
 * before the crash is full in the redelivery, another block under the same token.
 *
 * So the writer keeps a write-ahead journal next to the data (TelemetryStore.journal):
 *   1. For each batch, read the journal entries of this partition that overlap it.
 *   2. Replay every entry not yet acknowledged: its points are taken FROM THE JOURNAL, not
 *      from the redelivered batch, so the block and its token are byte-for-byte the first
 *      attempt's whatever the new batch boundaries are. ClickHouse completes or drops it.
 *      Then acknowledge it.
 *   3. Skip every message an entry covers. Acknowledged entries are never replayed, so
 *      ClickHouse's dedup window matters only for an entry whose writer died between its
 *      insert and its ack.
 *   4. Dead-letter the invalid fresh messages, then record ONE entry for the fresh range
 *      (offsets, token, points), insert with its token, acknowledge, resolve.
 *
 * Why it is exactly-once: every valid message is inserted only as part of the one entry
 * that covers it (fresh messages lie after every overlapping entry, so entries never
 * overlap); an entry's block is always the same bytes under the same token; and the
 * batch resolves (offsets commit) only after its entries are acknowledged. A crash before
 * the record leaves nothing to undo; after it, the replay re-sends the identical block.
 * Dead letters are published before the record, so a journaled range has had its dead
 * letters sent and a replay does not send them again.
 *
 * The in-process bus needs none of this, and must not have it. It redelivers a failed batch
 * as exactly the same messages, and keeps nothing across a restart: a crash loses what it
 * held anyway. So each batch is inserted under a token of its message ids (batchToken),
 * and no journal is read or written. A journal would even lose points there: every new
 * bus numbers its offsets from 0 again, so after a restart the new messages would look
 * covered by the previous run's entries and be skipped.
 *
 * Limits: a writer that died between an insert and its ack must replay within
 * DEDUP_WINDOW (10 000) later inserts into the table; journal rows live 30 days; two
 * consumers writing one partition at once (a zombie after a rebalance) are not fenced; and
 * a topic deleted and re-created (offsets from 0 again) needs a new group id, or its first
 * offsets would look journaled already.
 */

/** The journal port, reached through the store port (core/src/telemetry/write-journal.ts). */
export type WriteJournal = NonNullable<TelemetryStore['journal']>;
export type JournalEntry = Awaited<ReturnType<WriteJournal['overlapping']>>[number];

/** The journal key of one partition of one topic for one consumer group. */
export function consumerKey(groupId: string, topic: string, partition: number): string {
  return `${groupId}/${topic}/${partition}`;
}

/** The dedup token of an entry: unique per consumer and offset range, stable across restarts. */
export function entryToken(consumer: string, firstOffset: bigint, lastOffset: bigint): string {
  return createHash('sha256').update(`${consumer}\n${firstOffset}\n${lastOffset}`).digest('hex').slice(0, 32);
}

/**
 * The dedup token of an in-process batch: the same messages give the same token on a retry,
 * and new messages (new ids) never repeat an earlier run's token.
 */
export function batchToken(consumer: string, points: ReadonlyArray<{ messageId: string }>): string {
  const hash = createHash('sha256').update(consumer);
  for (const { messageId } of points) hash.update(`\n${messageId}`);
  return hash.digest('hex').slice(0, 32);
}

/** What to do with one batch, given the journal entries that overlap it. */
export interface BatchPlan {
  /** Unacknowledged entries, oldest first: re-insert their own points under their own token. */
  replay: JournalEntry[];
  /** Messages no entry covers, in offset order: validate, journal and insert these. */
  fresh: IncomingMessage[];
  /** How many messages an entry already covers (skipped). */
  covered: number;
}

/**
 * Splits a batch (one partition, ascending offsets) into replays and fresh messages: fresh
 * are those after the last offset any overlapping entry covers. The writer journals every
 * fresh range it handles (dead-letter-only ranges too), so entries leave no gaps.
 */
export function planBatch(messages: readonly IncomingMessage[], entries: readonly JournalEntry[]): BatchPlan {
  const coveredUpTo = entries.reduce<bigint | undefined>((max, e) => (max === undefined || e.lastOffset > max ? e.lastOffset : max), undefined);
  const fresh = coveredUpTo === undefined ? [...messages] : messages.filter((m) => BigInt(m.offset) > coveredUpTo);
  return {
    replay: entries.filter((e) => !e.acked).sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0)),
    fresh,
    covered: messages.length - fresh.length,
  };
}
