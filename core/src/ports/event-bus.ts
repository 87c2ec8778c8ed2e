/**
 * Durable, partitioned event log shaped after Kafka, so the in-process adapter and the Kafka
 * adapter are interchangeable. Delivery is at-least-once: consumers must be idempotent.
 */

/** A message to publish. */
export interface OutgoingMessage {
  /** Partitioning key: messages with the same key go to one partition and keep their order. */
  key: string;
  /** Any JSON-serializable value; it is sent as `JSON.stringify(value)`. */
  value: unknown;
  headers?: Record<string, string>;
}

/** A message as delivered to a consumer. */
export interface IncomingMessage {
  key: string;
  /**
   * The parsed JSON, not validated: it was written by some other deploy, so run it through
   * the topic's `parse` (see defineTopic) and dead-letter what fails. A value that is not
   * valid JSON (from another producer) arrives as its raw UTF-8 text, a tombstone as `null`;
   * `parse` refuses both, so they are dead-lettered too.
   */
  value: unknown;
  /** Always present; `{}` when the producer sent none. */
  headers: Record<string, string>;
  /** Position in the partition, as a decimal string (Kafka offsets are 64-bit). */
  offset: string;
  /** Milliseconds since the epoch at which the bus accepted the message. */
  timestamp: number;
}

/** Consecutive messages of one partition, handed to {@link SubscribeOptions.handleBatch}. */
export interface Batch {
  topic: string;
  partition: number;
  messages: IncomingMessage[];
}

/** Options of {@link EventBus.subscribe}. */
export interface SubscribeOptions {
  topic: string;
  /** Consumers sharing a group split the partitions; each group receives every message. */
  groupId: string;
  /**
   * Where a group without committed offsets starts: true = oldest retained message,
   * false (default) = only messages published after it joined. Ignored once the group has
   * committed offsets: it then always resumes after its last committed message.
   */
  fromBeginning?: boolean;
  /**
   * For handlers that pay a fixed cost per batch (the telemetry writer: one ClickHouse insert
   * each): wait until `minMessages` are there or `maxWaitMs` has passed since the oldest was
   * published, instead of handing over whatever has arrived. Default: no waiting.
   */
  linger?: { minMessages: number; maxWaitMs: number };
  /**
   * Processes one batch. Its offsets are committed only after the promise resolves; if it
   * rejects, the error is reported and the same batch is redelivered after a back-off, for
   * ever, blocking that partition. Handlers should therefore dead-letter messages they can
   * never process and throw only for transient failures. Never called concurrently for
   * one partition of one group.
   */
  handleBatch(batch: Batch): Promise<void>;
}

/** A running consumer. */
export interface BusSubscription {
  /**
   * Leaves the group: waits for any batch in progress to finish (and commit), after which
   * its partitions move to the remaining members. Idempotent.
   */
  stop(): Promise<void>;
}

/** What an adapter reports when a handler fails (the error is passed alongside). */
export interface BusErrorContext {
  topic: string;
  groupId: string;
  partition: number;
  /** How many times this batch has failed so far (1 on the first failure). */
  attempt: number;
  /** The first offset of the failed batch. */
  offset: string;
}

/** Callback for {@link BusErrorContext}; must not throw (exceptions from it are swallowed). */
export type BusErrorReporter = (error: unknown, context: BusErrorContext) => void;

/** The event-bus port. */
export interface EventBus {
  /**
   * Appends messages to `topic` (created on first use). Resolves once the bus has accepted
   * all of them; rejects, publishing nothing, when a value is not JSON (e.g. undefined), a
   * key or header is not a string, or the bus is closed. Order is kept per key.
   */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  /**
   * Joins `groupId` on `topic`. Resolves once the consumer is a member with its share of the
   * partitions, so a message published afterwards reaches the group even without
   * `fromBeginning`. Batches are delivered asynchronously. Rejects when the bus is closed.
   */
  subscribe(options: SubscribeOptions): Promise<BusSubscription>;
  /**
   * Messages of `topic` this process holds in memory and has not handed off: on the
   * in-process bus those some consumer group has not committed yet (with no group, all it
   * retains), on Kafka the publishes still waiting for the broker. A producer that can
   * outrun its consumers (the intake) watches it to slow down before memory runs out.
   */
  buffered(topic: string): number;
  /** Stops every subscription (waiting for batches in progress) and rejects later calls. Idempotent. */
  close(): Promise<void>;
  /**
   * True for the in-process adapter: its messages and offsets live only as long as the bus
   * (a new bus starts every partition at offset 0 again), and a failed batch is redelivered
   * as exactly the same messages. A consumer may then deduplicate by the batch's messages,
   * but must not key anything it keeps beyond the process on offsets.
   */
  readonly inProcess?: boolean;
}
