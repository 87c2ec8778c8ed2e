import { randomUUID } from 'node:crypto';
import { alertSignalsTopic, createKafkaBus, createRedisCache, type AlertSignal, type Cache, type EventBus } from '@ump/core';
import { eventually, sleep } from '../../../core/src/testing/eventually';
import { describeWith, testServiceUrls } from '../../../core/src/testing/services';
import { stateKey } from './state-store';
import { useRulesFixture } from './rules-fixture';

// Two rule workers in one consumer group on a real broker, sharing state in a real Redis:
// they split the devices of a multi-partition topic, and when one leaves, the other takes
// its partitions over from the persisted states — every transition exactly once.
const f = useRulesFixture({ database: 'postgres' });
const PARTITIONS = 4;
const within = { timeoutMs: 60_000, intervalMs: 50 };

describeWith('kafka', 'redis', 'postgres')('rule workers on Kafka and Redis', () => {
  const prefix = `ump-test-${randomUUID().slice(0, 8)}`;
  const opened: Array<{ close(): Promise<void> }> = [];
  const bus = (clientId: string): EventBus & { failures: unknown[] } => {
    const failures: unknown[] = [];
    const created = createKafkaBus({
      brokers: [new URL(testServiceUrls.kafka).host], clientId, partitions: PARTITIONS, topicPrefix: `${prefix}.`,
      retryBackoffMs: 20, sessionTimeoutMs: 10_000, onError: (error) => failures.push(error),
    });
    opened.push(created);
    return Object.assign(created, { failures });
  };
  const cache = (): Cache => {
    const created = createRedisCache({ url: testServiceUrls.redis, keyPrefix: `${prefix}:` });
    opened.push(created);
    return created;
  };
  afterAll(async () => {
    for (const one of opened.reverse()) await one.close();
  });

  it('splits the devices between two workers and emits each transition once, across a hand-over', async () => {
    const tenantId = await f.tenant();
    const devices = await Promise.all(Array.from({ length: 12 }, () => f.device(tenantId, { labels: ['fleet'] })));
    const ruleId = await f.rule(tenantId, { labels: ['fleet'] }, {
      condition: { key: 'temperature', op: 'GT', value: 80 }, clearCondition: { key: 'temperature', op: 'LT', value: 75 },
    });
    const producer = bus('rules-test-producer');
    const seen: AlertSignal[] = [];
    await producer.subscribe({
      topic: alertSignalsTopic.name, groupId: `signals-${randomUUID()}`, fromBeginning: true,
      handleBatch: async (batch) => void seen.push(...batch.messages.map((m) => alertSignalsTopic.schema.parse(m.value))),
    });
    const [cacheA, cacheB] = [cache(), cache()];
    const groupId = `rules-${randomUUID().slice(0, 8)}`;
    const a = await f.startWorker({ bus: bus('rules-a'), cache: cacheA, groupId });
    const b = await f.startWorker({ bus: bus('rules-b'), cache: cacheB, groupId });
    const evaluated = (worker: typeof a) => f.metric(worker.registry, 'ump_rules_messages_total');

    // Round 1: every device goes hot and stays hot.
    const t = Date.now() - 120_000;
    const round = (offset: number, temperatures: number[]) =>
      f.send(producer, devices.flatMap((d) => temperatures.map((temperature, i) => f.point(tenantId, d, t + offset + i * 1_000, { temperature }))));
    await round(0, [70, 90, 95]);
    await eventually(() => seen.length >= devices.length, within);
    await eventually(async () => (await evaluated(a)) + (await evaluated(b)) === devices.length * 3, within);
    // Both took part: the group split the partitions between them.
    expect(await evaluated(a)).toBeGreaterThan(0);
    expect(await evaluated(b)).toBeGreaterThan(0);

    // A leaves; B takes its partitions over and continues from the states in Redis: the
    // still-hot point raises nothing again, and the cool one clears every device.
    await a.stop();
    await round(10_000, [96, 70]);
    await eventually(() => seen.length >= devices.length * 2, within);
    await sleep(1_000);
    for (const deviceId of devices) {
      expect(seen.filter((s) => s.deviceId === deviceId).map((s) => [s.type, s.at - t])).toEqual([['firing', 1_000], ['resolved', 11_000]]);
    }
    expect(new Set(seen.map((s) => s.signalId)).size).toBe(seen.length);
    expect(seen.every((s) => s.ruleId === ruleId && s.tenantId === tenantId)).toBe(true);

    await cacheA.del(...devices.map((d) => stateKey(ruleId, d)), ...Array.from({ length: PARTITIONS }, (_, p) => `rules:owner:${groupId}:${p}`));
  }, 120_000);
});
