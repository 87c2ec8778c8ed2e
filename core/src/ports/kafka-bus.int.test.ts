import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { describeWith, testServiceUrls } from '../testing/services';
import { eventually } from '../testing/eventually';
import type { BusErrorContext, BusSubscription, IncomingMessage } from './event-bus';
import { eventBusContract } from './event-bus.contract';
import { createEventBus } from './create-event-bus';
import { createKafkaBus, type KafkaBus, type KafkaBusOptions } from './kafka-bus';

// A random prefix per file keeps runs (and other suites) on the same broker apart.
const prefix = `test-${randomUUID().slice(0, 8)}.`;
const brokers = [new URL(testServiceUrls.kafka).host];
// Group timings for a test broker: production defaults would make every rebalance slow.
const fast: Partial<KafkaBusOptions> = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 10_000, retryBackoffMs: 50 };
const makeBus = (options: Partial<KafkaBusOptions> = {}) => createKafkaBus({ brokers, clientId: 'ump-test', topicPrefix: prefix, ...fast, ...options });
const within = { timeoutMs: 15_000, intervalMs: 20 };
const test = (title: string, body: () => Promise<void>) => it(title, body, 45_000);

describeWith('kafka')('kafka bus', () => {
  const admin = new Kafka({ brokers, clientId: 'ump-test-admin', logLevel: logLevel.NOTHING }).admin();
  let bus: KafkaBus;
  let topic: string;
  let errors: BusErrorContext[];
  let subscriptions: BusSubscription[];
  const groupOf = (groupId: string) => `${prefix}${groupId}:${topic}`;
  const committed = async (groupId: string) => {
    const [offsets] = await admin.fetchOffsets({ groupId: groupOf(groupId), topics: [prefix + topic] });
    return Object.fromEntries((offsets?.partitions ?? []).map((p) => [p.partition, p.offset]));
  };
  const track = (subscription: BusSubscription) => (subscriptions.push(subscription), subscription);

  beforeAll(() => admin.connect());
  beforeEach(() => {
    errors = [];
    subscriptions = [];
    topic = `kafka.${randomUUID()}.v1`;
    bus = makeBus({ onError: (_error, context) => errors.push(context) });
  });
  afterEach(async () => {
    await Promise.all(subscriptions.map((s) => s.stop()));
    await bus.close();
  }, 30_000);
  afterAll(async () => {
    const topics = (await admin.listTopics()).filter((name) => name.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    const { groups } = await admin.listGroups();
    const ours = groups.map((g) => g.groupId).filter((id) => id.startsWith(prefix));
    if (ours.length > 0) await admin.deleteGroups(ours).catch(() => {});
    await admin.disconnect();
  }, 30_000);

  eventBusContract('kafka', async (options) => makeBus(options));

  test('redelivers a failed batch from its first offset and commits only after it succeeded', async () => {
    await bus.publish(topic, ['m1', 'm2', 'm3', 'm4'].map((value) => ({ key: 'one-partition', value })));
    const deliveries: IncomingMessage[][] = [];
    let committedWhileFailing: Record<number, string> | undefined;
    track(
      await bus.subscribe({
        topic,
        groupId: 'retry',
        fromBeginning: true,
        handleBatch: async ({ messages }) => {
          deliveries.push(messages);
          if (deliveries.length === 1) throw new Error('sink down');
          if (deliveries.length === 2) committedWhileFailing = await committed('retry');
        },
      }),
    );
    await eventually(() => committedWhileFailing, within);
    const [failed, retried] = deliveries;
    expect(errors).toEqual([expect.objectContaining({ topic, groupId: 'retry', attempt: 1, offset: failed![0]!.offset })]);
    // The same first offset, nothing after the failed batch skipped, every message once.
    expect(retried![0]!.offset).toBe(failed![0]!.offset);
    expect(deliveries.slice(1).flat().map((m) => m.value)).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(Object.values(committedWhileFailing!).every((offset) => offset === '-1')).toBe(true);
    const last = deliveries.flat().at(-1)!;
    await eventually(async () => Object.values(await committed('retry')).includes(String(BigInt(last.offset) + 1n)), within);
  });

  test('resumes after the last committed batch when a consumer stops while a batch is failing', async () => {
    const seen: IncomingMessage[] = [];
    const first = track(
      await bus.subscribe({
        topic,
        groupId: 'resume',
        fromBeginning: true,
        handleBatch: async ({ messages }) => {
          if (messages.some((m) => m.value === 'm3')) throw new Error('never succeeds in this consumer');
          seen.push(...messages);
        },
      }),
    );
    await bus.publish(topic, [{ key: 'k', value: 'm1' }, { key: 'k', value: 'm2' }]);
    await eventually(() => seen.length === 2, within);
    await bus.publish(topic, [{ key: 'k', value: 'm3' }, { key: 'k', value: 'm4' }]);
    await eventually(() => errors.length > 0, within);
    await first.stop();
    // Committed: just after m2, and nothing of the failing batch.
    const afterM2 = String(BigInt(seen[1]!.offset) + 1n);
    expect(Object.values(await committed('resume'))).toContain(afterM2);
    expect(errors.every((e) => BigInt(e.offset) === BigInt(afterM2))).toBe(true);
    const again: unknown[] = [];
    track(await bus.subscribe({ topic, groupId: 'resume', handleBatch: async ({ messages }) => void again.push(...messages.map((m) => m.value)) }));
    await eventually(() => again.includes('m4'), within);
    expect(seen.map((m) => m.value)).toEqual(['m1', 'm2']);
    expect(again).toEqual(['m3', 'm4']);
  });

  test('a new group without fromBeginning gets what is published right after subscribe resolved', async () => {
    await bus.publish(topic, [{ key: 'k', value: 'before' }]);
    const received: unknown[] = [];
    track(await bus.subscribe({ topic, groupId: 'latest', handleBatch: async ({ messages }) => void received.push(...messages.map((m) => m.value)) }));
    await bus.publish(topic, [{ key: 'k', value: 'after' }]);
    await eventually(() => received.length > 0, within);
    expect(received).toEqual(['after']);
    // The start is committed, so a member joining later cannot move it to a newer "latest".
    expect(Object.values(await committed('latest')).every((offset) => BigInt(offset) >= 0n)).toBe(true);
  });

  test('counts publishes as buffered until the broker acknowledged them', async () => {
    const publishing = bus.publish(topic, ['a', 'b', 'c'].map((value) => ({ key: value, value })));
    expect(bus.buffered(topic)).toBe(3);
    await publishing;
    expect(bus.buffered(topic)).toBe(0);
  });

  test('creates topics with the configured partitions, under the prefix, once', async () => {
    const five = makeBus({ partitions: 5 });
    await five.ensureTopics([topic, topic]);
    await five.ensureTopics([topic]);
    const { topics } = await admin.fetchTopicMetadata({ topics: [prefix + topic] });
    expect(topics[0]?.partitions).toHaveLength(5);
    await five.close();
  });

  test('several processes racing to create and subscribe to a fresh topic all start, and each group gets what follows', async () => {
    // Separate buses stand for separate processes: each lists the topic as missing, one wins
    // the creation, the others must wait for its leaders instead of failing their start.
    const racers = Array.from({ length: 4 }, () => makeBus());
    const received = racers.map(() => [] as string[]);
    const started = await Promise.all(
      racers.map((racer, i) =>
        racer.subscribe({ topic, groupId: `racer-${i}`, handleBatch: async ({ messages }) => void received[i]!.push(...messages.map((m) => String(m.value))) }),
      ),
    );
    await bus.publish(topic, [{ key: 'k', value: 'after' }]);
    await eventually(() => received.every((values) => values.length > 0), within);
    expect(received).toEqual(racers.map(() => ['after']));
    await Promise.all(started.map((s) => s.stop()));
    await Promise.all(racers.map((racer) => racer.close()));
  });

  test('delivers what foreign producers wrote: non-JSON as raw text, tombstones as null, headers as strings', async () => {
    await bus.ensureTopics([topic]);
    const producer = new Kafka({ brokers, clientId: 'ump-test-raw', logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({
      topic: prefix + topic,
      messages: [
        { key: 'k', value: 'not json {', headers: { h: Buffer.from('bytes'), twice: ['a', 'b'] } },
        { key: 'k', value: null },
        { key: null, value: '"keyless"' },
      ],
    });
    await producer.disconnect();
    const received: IncomingMessage[] = [];
    track(await bus.subscribe({ topic, groupId: 'raw', fromBeginning: true, handleBatch: async ({ messages }) => void received.push(...messages) }));
    await eventually(() => received.length === 3, within);
    // A null key lands on any partition, so only the keyed pair has a defined order.
    expect(received.map(({ key, value, headers }) => ({ key, value, headers })).sort((a, b) => b.key.localeCompare(a.key))).toEqual([
      { key: 'k', value: 'not json {', headers: { h: 'bytes', twice: 'b' } },
      { key: 'k', value: null, headers: {} },
      { key: '', value: 'keyless', headers: {} },
    ]);
  });

  test('hands a consumer batches of more than kafkajs\' default 1 MiB a partition', async () => {
    // 6,000 messages of ~300 bytes on one partition: 1.8 MB, two fetches at 1 MiB.
    const value = { reading: 'x'.repeat(280) };
    for (let i = 0; i < 12; i++) await bus.publish(topic, Array.from({ length: 500 }, () => ({ key: 'one-partition', value })));
    const sizes: number[] = [];
    track(await bus.subscribe({ topic, groupId: 'big', fromBeginning: true, handleBatch: async ({ messages }) => void sizes.push(messages.length) }));
    await eventually(() => sizes.reduce((a, b) => a + b, 0) === 6_000, within);
    expect(Math.max(...sizes)).toBeGreaterThan(3_600);
  });

  test('createEventBus builds the Kafka adapter when brokers are given', async () => {
    const viaFactory = createEventBus({ kafkaBrokers: [...brokers, ' '], clientId: 'ump-test', topicPrefix: prefix });
    await viaFactory.publish(topic, [{ key: 'k', value: 1 }]);
    const { topics } = await admin.fetchTopicMetadata({ topics: [prefix + topic] });
    expect(topics[0]?.partitions).toHaveLength(3);
    await viaFactory.close();
  });
});

describe('kafka bus without a broker', () => {
  it('rejects a publish naming the topic, the brokers and the cause; kafkajs errors reach the logger', async () => {
    const logged: string[] = [];
    const log = (_details: object, message: string) => void logged.push(message);
    const bus = createKafkaBus({ brokers: ['127.0.0.1:1'], clientId: 'ump-test', retries: 1, logger: { warn: log, error: log } });
    await expect(bus.publish('t.v1', [{ key: 'k', value: 1 }])).rejects.toThrow(/kafka publish to t\.v1 failed against 127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(logged.length).toBeGreaterThan(0);
    // Deliberate choices are not warned about on every start.
    expect(logged.join('\n')).not.toMatch(/partitioner|Limiting retries/i);
    await bus.close();
    await expect(bus.publish('t.v1', [{ key: 'k', value: 1 }])).rejects.toThrow(/closed/);
  });

  it('rejects a publish after publishTimeoutMs; close waits for the retries left', async () => {
    const bus = createKafkaBus({ brokers: ['127.0.0.1:1'], clientId: 'ump-test', retries: 1, publishTimeoutMs: 50 });
    await expect(bus.publish('t.v1', [{ key: 'k', value: 1 }])).rejects.toThrow(/did not acknowledge 1 message\(s\) to t\.v1 within 50 ms/);
    await bus.close();
  });

  it('createEventBus falls back to the in-process bus', async () => {
    const bus = createEventBus({ kafkaBrokers: [''], clientId: 'ump-test' });
    const seen: unknown[] = [];
    await bus.subscribe({ topic: 't.v1', groupId: 'g', handleBatch: async ({ messages }) => void seen.push(...messages.map((m) => m.value)) });
    await bus.publish('t.v1', [{ key: 'k', value: 'in memory' }]);
    await eventually(() => seen.length === 1);
    await bus.close();
  });

  it('rejects invalid options', () => {
    expect(() => createKafkaBus({ brokers: [], clientId: 'c' })).toThrow(TypeError);
    expect(() => createKafkaBus({ brokers: ['h:1'], clientId: 'c', partitions: 0 })).toThrow(RangeError);
    expect(() => createKafkaBus({ brokers: ['h:1'], clientId: 'c', maxBytesPerPartition: 0 })).toThrow(RangeError);
  });
});
