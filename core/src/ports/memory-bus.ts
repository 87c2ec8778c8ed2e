import { assertSubscribeOptions, encodeMessages } from './event-bus-support';
import type { Batch, BusErrorReporter, BusSubscription, EventBus, OutgoingMessage, SubscribeOptions } from './event-bus';

/** Options of {@link createMemoryBus}. */
export interface MemoryBusOptions {
  /** Partitions of every topic; default 3, so group sharing is exercised as with Kafka. */
  partitions?: number;
  /** Most messages per batch; default 100. */
  maxBatchSize?: number;
  /** Back-off before the first redelivery of a failed batch, doubling per failure; default 100 ms. */
  retryBackoffMs?: number;
  /** Cap of that back-off; default 5000 ms. */
  maxRetryBackoffMs?: number;
  /** Receives handler failures; default logs to stderr. */
  onError?: BusErrorReporter;
  /** Clock for message timestamps; default Date.now. */
  now?: () => number;
  /**
   * Messages each partition keeps once every group has consumed them; default all of them,
   * so a group created later with `fromBeginning` replays everything (tests rely on that).
   * A long-running process sets a limit: the log would otherwise grow without end.
   */
  retainConsumed?: number;
}

interface StoredMessage {
  key: string;
  /** Kept serialized, as on the wire: every delivery parses a fresh copy. */
  json: string;
  headers: Record<string, string>;
  timestamp: number;
}

interface Member {
  handleBatch: SubscribeOptions['handleBatch'];
  linger: SubscribeOptions['linger'];
  inFlight: Set<Promise<void>>;
}

/** One group's position in one partition. */
interface Cursor {
  committed: number;
  busy: boolean;
  /** End of the batch that failed; the redelivery covers exactly the same messages. */
  retryEnd: number | undefined;
  attempts: number;
  timer: NodeJS.Timeout | undefined;
  /** Set while a short batch waits for more messages (SubscribeOptions.linger). */
  lingering: NodeJS.Timeout | undefined;
}

interface Group {
  id: string;
  members: Member[];
  cursors: Cursor[];
  scheduled: boolean;
}

/** One partition's retained messages; `base` is the offset of the first one. */
interface PartitionLog {
  base: number;
  messages: StoredMessage[];
}

interface Topic {
  name: string;
  log: PartitionLog[];
  groups: Map<string, Group>;
}

/**
 * FNV-1a over the key's UTF-8 bytes: stable across processes, unlike a per-process seed.
 * Keys are device ids, ASCII, whose characters are their UTF-8 bytes: hashed without
 * encoding them into a Buffer first, which was 2 % of the intake's time under load.
 */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code > 0x7f) return utf8PartitionOf(key, partitions);
    hash = Math.imul(hash ^ code, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

function utf8PartitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193);
  return (hash >>> 0) % partitions;
}

/**
 * In-process {@link EventBus}: for unit tests and single-instance development. Keeps the
 * whole log in memory for the bus's lifetime, so `fromBeginning` replays everything, unless
 * `retainConsumed` limits what is kept of messages every group has consumed. Partitions are
 * assigned to a group's members round-robin in join order and reassigned when members join
 * or leave; a partition moves only once its batch in progress has finished. Retry timers
 * are unref'd, so they never keep the process alive.
 * Throws a RangeError when `partitions` or `maxBatchSize` is not a positive integer, or
 * `retainConsumed` not a non-negative integer.
 */
export function createMemoryBus(options: MemoryBusOptions = {}): EventBus {
  const { partitions = 3, maxBatchSize = 100, retryBackoffMs = 100, maxRetryBackoffMs = 5_000, now = Date.now, retainConsumed = Infinity } = options;
  const onError = options.onError ?? ((error, context) => console.error('[ump bus]', context, error));
  if (retainConsumed !== Infinity && !(Number.isInteger(retainConsumed) && retainConsumed >= 0)) {
    throw new RangeError(`retainConsumed must be a non-negative integer, got ${retainConsumed}`);
  }
  for (const [name, value] of Object.entries({ partitions, maxBatchSize })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  const topics = new Map<string, Topic>();
  const subscriptions = new Set<BusSubscription>();
  let closed = false;
  let closing: Promise<void> | undefined;
  const open = () => {
    if (closed) throw new Error('event bus is closed');
  };

  const topicNamed = (name: string): Topic => {
    let topic = topics.get(name);
    if (!topic) {
      topic = { name, log: Array.from({ length: partitions }, () => ({ base: 0, messages: [] })), groups: new Map() };
      topics.set(name, topic);
    }
    return topic;
  };

  // Coalesces wake-ups: one pass per turn of the event loop however many publishes happened.
  const schedule = (topic: Topic, group: Group) => {
    if (group.scheduled || closed) return;
    group.scheduled = true;
    setImmediate(() => {
      group.scheduled = false;
      pump(topic, group);
    });
  };

  // Where every group has committed in a partition; undefined without a group.
  const committedByAll = (topic: Topic, partition: number): number | undefined =>
    topic.groups.size === 0 ? undefined : Math.min(...[...topic.groups.values()].map((group) => group.cursors[partition]!.committed));

  // Drops what every group has consumed, beyond `retainConsumed`, a chunk at a time.
  const trim = (topic: Topic, partition: number) => {
    const consumed = committedByAll(topic, partition);
    if (retainConsumed === Infinity || consumed === undefined) return;
    const part = topic.log[partition]!;
    const drop = consumed - retainConsumed - part.base;
    if (drop < Math.max(1, Math.min(retainConsumed, 1_000))) return;
    part.messages.splice(0, drop);
    part.base += drop;
  };

  const pump = (topic: Topic, group: Group) => {
    if (closed || group.members.length === 0) return;
    topic.log.forEach(({ base, messages: log }, partition) => {
      const cursor = group.cursors[partition]!;
      if (cursor.busy || cursor.timer) return;
      const start = cursor.committed;
      const end = cursor.retryEnd ?? Math.min(base + log.length, start + maxBatchSize);
      if (end <= start) return;
      const member = group.members[partition % group.members.length]!;
      const { linger } = member;
      if (linger && cursor.retryEnd === undefined && end - start < Math.min(linger.minMessages, maxBatchSize)) {
        const waitMs = log[start - base]!.timestamp + linger.maxWaitMs - now();
        if (waitMs > 0) {
          cursor.lingering ??= setTimeout(() => {
            cursor.lingering = undefined;
            schedule(topic, group);
          }, waitMs).unref();
          return;
        }
      }
      clearTimeout(cursor.lingering);
      cursor.lingering = undefined;
      const batch: Batch = {
        topic: topic.name,
        partition,
        messages: log.slice(start - base, end - base).map((m, i) => ({
          key: m.key,
          value: JSON.parse(m.json) as unknown,
          headers: { ...m.headers },
          offset: String(start + i),
          timestamp: m.timestamp,
        })),
      };
      cursor.busy = true;
      const run: Promise<void> = (async () => member.handleBatch(batch))()
        .then(
          () => {
            Object.assign(cursor, { committed: end, retryEnd: undefined, attempts: 0 });
            trim(topic, partition);
          },
          (error: unknown) => {
            cursor.retryEnd = end;
            cursor.attempts += 1;
            try {
              onError(error, { topic: topic.name, groupId: group.id, partition, attempt: cursor.attempts, offset: String(start) });
            } catch {
              // A broken reporter must not stop redelivery.
            }
            const delay = Math.min(retryBackoffMs * 2 ** (cursor.attempts - 1), maxRetryBackoffMs);
            cursor.timer = setTimeout(() => {
              cursor.timer = undefined;
              schedule(topic, group);
            }, delay);
            cursor.timer.unref();
          },
        )
        .finally(() => {
          cursor.busy = false;
          member.inFlight.delete(run);
          schedule(topic, group);
        });
      member.inFlight.add(run);
    });
  };

  return {
    inProcess: true,

    async publish(topicName, messages) {
      open();
      const encoded = encodeMessages(topicName, messages);
      const topic = topicNamed(topicName);
      const timestamp = now();
      messages.forEach(({ key, headers }, i) => {
        topic.log[partitionOf(key, partitions)]!.messages.push({ key, json: encoded[i]!, headers: { ...headers }, timestamp });
      });
      for (const group of topic.groups.values()) schedule(topic, group);
    },

    buffered(topicName) {
      const topic = topics.get(topicName);
      if (!topic) return 0;
      return topic.log.reduce((sum, { base, messages }, partition) => sum + base + messages.length - (committedByAll(topic, partition) ?? base), 0);
    },

    async subscribe({ topic: topicName, groupId, fromBeginning = false, handleBatch, linger }) {
      open();
      assertSubscribeOptions({ topic: topicName, groupId, handleBatch, linger });
      const topic = topicNamed(topicName);
      let group = topic.groups.get(groupId);
      if (!group) {
        // A new group's starting point is fixed now and kept even if every member leaves,
        // like a committed offset, so restarts never skip or replay.
        const cursors = topic.log.map(({ base, messages }) => ({
          committed: fromBeginning ? base : base + messages.length, busy: false, retryEnd: undefined, attempts: 0, timer: undefined, lingering: undefined,
        }));
        group = { id: groupId, members: [], cursors, scheduled: false };
        topic.groups.set(groupId, group);
      }
      const joined = group;
      const member: Member = { handleBatch, linger, inFlight: new Set() };
      joined.members.push(member);
      schedule(topic, joined);
      let stopping: Promise<void> | undefined;
      const subscription: BusSubscription = {
        stop() {
          stopping ??= (async () => {
            joined.members = joined.members.filter((m) => m !== member);
            subscriptions.delete(subscription);
            await Promise.allSettled([...member.inFlight]);
            schedule(topic, joined);
          })();
          return stopping;
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },

    close() {
      closing ??= (async () => {
        closed = true;
        for (const topic of topics.values()) {
          for (const group of topic.groups.values()) {
            for (const cursor of group.cursors) (clearTimeout(cursor.timer), clearTimeout(cursor.lingering));
          }
        }
        await Promise.all([...subscriptions].map((s) => s.stop()));
      })();
      return closing;
    },
  };
}
