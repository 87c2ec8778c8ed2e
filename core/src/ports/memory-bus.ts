import { encodeMessages } from './event-bus-support';
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
}

interface Group {
  id: string;
  members: Member[];
  cursors: Cursor[];
  scheduled: boolean;
}

interface Topic {
  name: string;
  log: StoredMessage[][];
  groups: Map<string, Group>;
}

/** FNV-1a over the key's UTF-8 bytes: stable across processes, unlike a per-process seed. */
function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193);
  return (hash >>> 0) % partitions;
}

/**
 * In-process {@link EventBus}: for unit tests and single-instance development. Keeps the
 * whole log in memory for the bus's lifetime (no retention limit) so `fromBeginning`
 * replays everything. Partitions are assigned to a group's members round-robin in join
 * order and reassigned when members join or leave; a partition moves only once its batch in
 * progress has finished. Retry timers are unref'd, so they never keep the process alive.
 * Throws a RangeError when `partitions` or `maxBatchSize` is not a positive integer.
 */
export function createMemoryBus(options: MemoryBusOptions = {}): EventBus {
  const { partitions = 3, maxBatchSize = 100, retryBackoffMs = 100, maxRetryBackoffMs = 5_000, now = Date.now } = options;
  const onError = options.onError ?? ((error, context) => console.error('[ump bus]', context, error));
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
      topic = { name, log: Array.from({ length: partitions }, () => []), groups: new Map() };
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

  const pump = (topic: Topic, group: Group) => {
    if (closed || group.members.length === 0) return;
    topic.log.forEach((log, partition) => {
      const cursor = group.cursors[partition]!;
      if (cursor.busy || cursor.timer) return;
      const start = cursor.committed;
      const end = cursor.retryEnd ?? Math.min(log.length, start + maxBatchSize);
      if (end <= start) return;
      const member = group.members[partition % group.members.length]!;
      const batch: Batch = {
        topic: topic.name,
        partition,
        messages: log.slice(start, end).map((m, i) => ({
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
    async publish(topicName, messages) {
      open();
      const encoded = encodeMessages(topicName, messages);
      const topic = topicNamed(topicName);
      const timestamp = now();
      messages.forEach(({ key, headers }, i) => {
        topic.log[partitionOf(key, partitions)]!.push({ key, json: encoded[i]!, headers: { ...headers }, timestamp });
      });
      for (const group of topic.groups.values()) schedule(topic, group);
    },

    async subscribe({ topic: topicName, groupId, fromBeginning = false, handleBatch }) {
      open();
      if (typeof topicName !== 'string' || topicName === '') throw new TypeError('topic must be a non-empty string');
      if (typeof groupId !== 'string' || groupId === '') throw new TypeError('groupId must be a non-empty string');
      if (typeof handleBatch !== 'function') throw new TypeError('handleBatch must be a function');
      const topic = topicNamed(topicName);
      let group = topic.groups.get(groupId);
      if (!group) {
        // A new group's starting point is fixed now and kept even if every member leaves,
        // like a committed offset, so restarts never skip or replay.
        const cursors = topic.log.map((log) => ({ committed: fromBeginning ? 0 : log.length, busy: false, retryEnd: undefined, attempts: 0, timer: undefined }));
        group = { id: groupId, members: [], cursors, scheduled: false };
        topic.groups.set(groupId, group);
      }
      const joined = group;
      const member: Member = { handleBatch, inFlight: new Set() };
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
          for (const group of topic.groups.values()) for (const cursor of group.cursors) clearTimeout(cursor.timer);
        }
        await Promise.all([...subscriptions].map((s) => s.stop()));
      })();
      return closing;
    },
  };
}
