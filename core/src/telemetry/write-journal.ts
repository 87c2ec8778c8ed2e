import type { TelemetryPoint } from './store';

/**
 * One insert the telemetry writer intended: a consumer's offset range, the exact points it
 * inserts, and the dedup token it inserts them with.
 */
export interface JournalEntry {
  /** First and last bus offset the entry covers (inclusive). */
  firstOffset: bigint;
  lastOffset: bigint;
  token: string;
  /** True once the insert was acknowledged by the store. */
  acked: boolean;
  /** The points exactly as first inserted; empty once acked (they are not needed again). */
  points: TelemetryPoint[];
}

/**
 * The write-ahead journal that makes the telemetry writer exactly-once across crashes and
 * redeliveries with different batch boundaries (the reasoning is in
 * ingest/src/writer/plan.ts). A `consumer` names one partition of one topic for one group.
 * Every method throws when the store is unreachable; the writer then fails the batch and the
 * bus redelivers it.
 */
export interface WriteJournal {
  /** Entries of `consumer` that overlap offsets [from, to], oldest first. */
  overlapping(consumer: string, from: bigint, to: bigint): Promise<JournalEntry[]>;
  /** Records an intent before its insert. Recording the same entry twice is harmless. */
  record(consumer: string, entry: Omit<JournalEntry, 'acked'>): Promise<void>;
  /** Marks an entry as inserted, so it is never replayed. */
  ack(consumer: string, entry: Pick<JournalEntry, 'firstOffset' | 'lastOffset' | 'token'>): Promise<void>;
}
