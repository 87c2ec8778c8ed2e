import { randomUUID } from 'node:crypto';
import type { AlertSignal, Cache, EventBus } from '@ump/core';
import { eventually, sleep } from '../../../core/src/testing/eventually';
import { stateKey } from './state-store';
import { useRulesFixture } from './rules-fixture';

const f = useRulesFixture();
const overheat = { condition: { key: 'temperature', op: 'GT', value: 80 }, clearCondition: { key: 'temperature', op: 'LT', value: 75 } };
const brief = (list: AlertSignal[]) => list.map((s) => `${s.type}:${s.deviceId.slice(0, 8)}:${s.severity}`);
// A short settle window, only to show that nothing MORE arrives after what we waited for.
const settle = () => sleep(150);

describe('rule worker', () => {
  it('raises one firing signal with evidence when a point crosses the threshold, and resolves past the clear threshold', async () => {
    const tenantId = await f.tenant();
    const deviceId = await f.device(tenantId);
    const ruleId = await f.rule(tenantId, { deviceId }, overheat, { severity: 'CRITICAL' });
    const bus = f.bus();
    const seen = await f.signals(bus);
    await f.startWorker({ bus, cache: f.cache() });
    const t = Date.now() - 60_000;

    await f.send(bus, [f.point(tenantId, deviceId, t, { temperature: 70 }), f.point(tenantId, deviceId, t + 1_000, { temperature: 85.5 }), f.point(tenantId, deviceId, t + 2_000, { temperature: 78 })]);
    await eventually(() => seen.length === 1, f.within);
    expect(seen[0]).toEqual({
      signalId: `${ruleId}:${deviceId}:firing:${t + 1_000}`,
      type: 'firing', tenantId, ruleId, deviceId, severity: 'CRITICAL', at: t + 1_000,
      evidence: { key: 'temperature', value: 85.5, threshold: '> 80', text: 'temperature 85.5 > 80' },
    });

    await f.send(bus, [f.point(tenantId, deviceId, t + 3_000, { temperature: 74 })]);
    await eventually(() => seen.length === 2, f.within);
    expect(seen[1]).toMatchObject({ type: 'resolved', at: t + 3_000, severity: 'CRITICAL', evidence: { value: 74, threshold: '< 75', text: 'temperature 74 < 75' } });
    await settle();
    expect(seen).toHaveLength(2);
  });

  it('emits nothing more for duplicate and out-of-order points', async () => {
    const tenantId = await f.tenant();
    const deviceId = await f.device(tenantId);
    await f.rule(tenantId, { deviceId }, overheat);
    const bus = f.bus();
    const seen = await f.signals(bus);
    const worker = await f.startWorker({ bus, cache: f.cache() });
    const t = Date.now() - 60_000;
    const stream = [f.point(tenantId, deviceId, t, { temperature: 90 }), f.point(tenantId, deviceId, t + 1_000, { temperature: 70 })];

    await f.send(bus, stream);
    await eventually(() => seen.length === 2, f.within);
    // The same points again (a redelivery by the intake), then older points with values that
    // would raise and clear again if they were evaluated.
    await f.send(bus, [...stream, f.point(tenantId, deviceId, t + 500, { temperature: 99 }), f.point(tenantId, deviceId, t - 1_000, { temperature: 95 })]);
    await eventually(async () => (await f.metric(worker.registry, 'ump_rules_messages_total')) === 6, f.within);
    await settle();
    expect(seen.map((s) => s.type)).toEqual(['firing', 'resolved']);
    expect(await f.metric(worker.registry, 'ump_rules_duplicate_points_total')).toBe(4);
  });

  it('continues from the persisted state after a restart: no second raise, and the clear still comes', async () => {
    const tenantId = await f.tenant();
    const deviceId = await f.device(tenantId);
    await f.rule(tenantId, { deviceId }, overheat);
    const bus = f.bus();
    const cache = f.cache();
    const seen = await f.signals(bus);
    const first = await f.startWorker({ bus, cache });
    const t = Date.now() - 60_000;
    await f.send(bus, [f.point(tenantId, deviceId, t, { temperature: 90 })]);
    await eventually(() => seen.length === 1, f.within);
    await first.stop();

    // A new worker instance (a new process) in the same group, on the same cache.
    const second = await f.startWorker({ bus, cache });
    await f.send(bus, [f.point(tenantId, deviceId, t + 1_000, { temperature: 95 }), f.point(tenantId, deviceId, t + 2_000, { temperature: 77 })]);
    await eventually(async () => (await f.metric(second.registry, 'ump_rules_messages_total')) === 2, f.within);
    await f.send(bus, [f.point(tenantId, deviceId, t + 3_000, { temperature: 60 })]);
    await eventually(() => seen.length === 2, f.within);
    await settle();
    expect(seen.map((s) => [s.type, s.at - t])).toEqual([['firing', 0], ['resolved', 3_000]]);
  });

  it.each(['publishing the signals', 'persisting the states'] as const)(
    'republishes the same signal ids when a batch fails while %s and is redelivered',
    async (failing) => {
      const tenantId = await f.tenant();
      const deviceId = await f.device(tenantId);
      await f.rule(tenantId, { deviceId }, overheat);
      const bus = f.bus();
      const seen = await f.signals(bus);
      const healthyCache = f.cache();
      let failOnce = true;
      const failNow = () => {
        if (!failOnce) return false;
        failOnce = false;
        return true;
      };
      const flakyBus: EventBus = {
        ...bus,
        publish: async (topic, messages) => {
          if (failing === 'publishing the signals' && topic === 'alert.signals.v1' && failNow()) throw new Error('broker unavailable');
          return bus.publish(topic, messages);
        },
        subscribe: (options) => bus.subscribe(options),
      };
      const flakyCache: Cache = {
        ...healthyCache,
        setJson: async (key, value, options) => {
          if (failing === 'persisting the states' && key.includes('rules:state:') && failNow()) throw new Error('cache unavailable');
          return healthyCache.setJson(key, value, options);
        },
      };
      await f.startWorker({ bus: flakyBus, cache: flakyCache });
      const t = Date.now() - 60_000;
      await f.send(bus, [f.point(tenantId, deviceId, t, { temperature: 90 }), f.point(tenantId, deviceId, t + 1_000, { temperature: 70 })]);

      await eventually(() => new Set(seen.map((s) => s.signalId)).size === 2 && bus.failures.length === 1, f.within);
      await settle();
      const ids = [...new Set(seen.map((s) => s.signalId))];
      expect(ids.map((id) => id.split(':')[2])).toEqual(['firing', 'resolved']);
      // Published at most twice (the failed attempt and the redelivery), always under the same ids.
      expect(seen.length).toBe(failing === 'persisting the states' ? 4 : 2);
    },
  );

  it('applies a rule created after start within a second of its announcement', async () => {
    const tenantId = await f.tenant();
    const deviceId = await f.device(tenantId);
    const bus = f.bus();
    const cache = f.cache();
    const seen = await f.signals(bus);
    await f.startWorker({ bus, cache });
    const ruleId = await f.rule(tenantId, { deviceId }, overheat);
    const announced = Date.now();
    await f.announce(cache, { tenantId, ruleId, change: 'created' });

    // Keep sending hot points until one raises: the rule must apply within a second.
    let ts = Date.now() - 30_000;
    await eventually(async () => {
      await f.send(bus, [f.point(tenantId, deviceId, (ts += 1), { temperature: 90 })]);
      return seen.length > 0;
    }, { timeoutMs: 1_000, intervalMs: 50 });
    expect(Date.now() - announced).toBeLessThan(1_000);
    expect(seen[0]).toMatchObject({ ruleId, type: 'firing' });

    // A deletion announced stops it: the clear that would follow is no longer evaluated.
    await f.announce(cache, { tenantId, ruleId, change: 'deleted' });
    await sleep(100);
    await f.send(bus, [f.point(tenantId, deviceId, (ts += 1_000), { temperature: 10 })]);
    await settle();
    expect(seen).toHaveLength(1);
  });

  it('picks up rule changes by the periodic reload when the announcement was lost', async () => {
    const tenantId = await f.tenant();
    const deviceId = await f.device(tenantId);
    const bus = f.bus();
    const seen = await f.signals(bus);
    await f.startWorker({ bus, cache: f.cache(), reloadIntervalMs: 100 });
    const ruleId = await f.rule(tenantId, { deviceId }, overheat);
    let ts = Date.now() - 30_000;
    await eventually(async () => {
      await f.send(bus, [f.point(tenantId, deviceId, (ts += 1), { temperature: 90 })]);
      return seen.length > 0;
    }, { timeoutMs: 2_000, intervalMs: 50 });
    expect(seen[0]).toMatchObject({ ruleId, type: 'firing' });
  });

  it('resolves an alert raised by an older version of a changed rule under the new version', async () => {
    const tenantId = await f.tenant();
    const deviceId = await f.device(tenantId);
    const ruleId = await f.rule(tenantId, { deviceId }, { condition: { key: 'temperature', op: 'GT', value: 80 } });
    const bus = f.bus();
    const cache = f.cache();
    const seen = await f.signals(bus);
    const worker = await f.startWorker({ bus, cache });
    const t = Date.now() - 60_000;
    await f.send(bus, [f.point(tenantId, deviceId, t, { temperature: 85 })]);
    await eventually(() => seen.length === 1, f.within);

    // The threshold moves to 90: 85 no longer holds, so the alert clears at the next point.
    await f.prisma().alertRule.update({ where: { id: ruleId }, data: { spec: { condition: { key: 'temperature', op: 'GT', value: 90 } }, version: { increment: 1 } } });
    await f.announce(cache, { tenantId, ruleId, change: 'updated' });
    // Until the change applies, 85 keeps the v1 alert firing (no signal); then it clears.
    let ts = t;
    await eventually(async () => {
      await f.send(bus, [f.point(tenantId, deviceId, (ts += 1_000), { temperature: 85 })]);
      return seen.length === 2;
    }, { ...f.within, intervalMs: 50 });
    expect(seen.map((s) => s.type)).toEqual(['firing', 'resolved']);
    expect(JSON.parse((await cache.get(stateKey(ruleId, deviceId)))!)).toMatchObject({ ruleVersion: 2, active: false });
    expect(await f.metric(worker.registry, 'ump_rules_signals_total', { type: 'resolved' })).toBe(1);
  });

  it('targets devices by labels (all of them) and by profile', async () => {
    const tenantId = await f.tenant();
    const profileId = await f.profile(tenantId);
    const both = await f.device(tenantId, { labels: ['site=berlin', 'floor=2', 'x'] });
    const oneLabel = await f.device(tenantId, { labels: ['site=berlin'] });
    const inProfile = await f.device(tenantId, { profileId });
    const otherProfile = await f.device(tenantId, { profileId: await f.profile(tenantId) });
    await f.rule(tenantId, { labels: ['site=berlin', 'floor=2'] }, overheat);
    await f.rule(tenantId, { profileId }, { condition: { key: 'door', op: 'EQ', value: 'open' } });
    const bus = f.bus();
    const seen = await f.signals(bus);
    await f.startWorker({ bus, cache: f.cache() });
    const t = Date.now() - 60_000;

    await f.send(bus, [both, oneLabel, inProfile, otherProfile].flatMap((d) => [f.point(tenantId, d, t, { temperature: 90, door: 'open' })]));
    await eventually(() => seen.length === 2, f.within);
    await settle();
    expect(seen.map((s) => s.deviceId).sort()).toEqual([both, inProfile].sort());
  });

  it("never evaluates a tenant's rule on another tenant's device", async () => {
    const [a, b] = [await f.tenant(), await f.tenant()];
    const deviceOfB = await f.device(b, { labels: ['site=berlin'] });
    const profileOfB = await f.profile(b);
    const deviceInProfileOfB = await f.device(b, { profileId: profileOfB });
    await f.rule(a, { labels: ['site=berlin'] }, overheat);
    // Even rules of A naming B's device or profile outright (which the alert subgraph refuses).
    await f.rule(a, { deviceId: deviceOfB }, overheat);
    await f.rule(a, { profileId: profileOfB }, overheat);
    const bus = f.bus();
    const seen = await f.signals(bus);
    const worker = await f.startWorker({ bus, cache: f.cache() });
    const t = Date.now() - 60_000;

    await f.send(bus, [f.point(b, deviceOfB, t, { temperature: 99 }), f.point(b, deviceInProfileOfB, t, { temperature: 99 })]);
    // Messages claiming tenant A for B's devices (the intake never produces them) match none of A's rules either.
    await f.send(bus, [f.point(a, deviceOfB, t + 1, { temperature: 99 }), f.point(a, deviceInProfileOfB, t + 1, { temperature: 99 })]);
    await eventually(async () => (await f.metric(worker.registry, 'ump_rules_messages_total')) === 4, f.within);
    await settle();
    expect(seen).toEqual([]);
  });

  it('raises NO_DATA from ticks when a device falls silent, and escalates while firing', async () => {
    const tenantId = await f.tenant();
    const deviceId = await f.device(tenantId);
    const ruleId = await f.rule(tenantId, { deviceId }, { condition: { op: 'NO_DATA', seconds: 1 }, escalation: [{ afterSeconds: 1, severity: 'CRITICAL' }] }, { severity: 'WARNING' });
    const bus = f.bus();
    const seen = await f.signals(bus);
    await f.startWorker({ bus, cache: f.cache() });
    const t = Date.now();
    await f.send(bus, [f.point(tenantId, deviceId, t, { temperature: 20 })]);

    await eventually(() => seen.length === 2, f.within);
    expect(seen.map((s) => [s.type, s.severity, s.at - t, s.signalId])).toEqual([
      ['firing', 'WARNING', 1_000, `${ruleId}:${deviceId}:firing:${t + 1_000}`],
      ['firing', 'CRITICAL', 2_000, `${ruleId}:${deviceId}:firing:${t + 2_000}`],
    ]);
    expect(seen[0]!.evidence).toMatchObject({ threshold: 'no data for 1 s' });
    await f.send(bus, [f.point(tenantId, deviceId, Date.now(), { temperature: 21 })]);
    await eventually(() => seen.length === 3, f.within);
    expect(seen[2]).toMatchObject({ type: 'resolved', severity: 'CRITICAL', evidence: { text: 'data received' } });
    await settle();
    expect(seen).toHaveLength(3);
  });

  it.each([false, true])('ticks only the partitions it still owns (claimed by another worker: %s)', async (claimedElsewhere) => {
    const tenantId = await f.tenant();
    const deviceId = await f.device(tenantId);
    await f.rule(tenantId, { deviceId }, { condition: { op: 'NO_DATA', seconds: 60 } });
    const bus = f.bus();
    const cache = f.cache();
    const seen = await f.signals(bus);
    const t = Date.now() - 600_000;
    let clock = t;
    const worker = await f.startWorker({ bus, cache, groupId: 'rules', now: () => clock });
    await f.send(bus, [f.point(tenantId, deviceId, t, { temperature: 20 })]);
    await eventually(async () => (await f.metric(worker.registry, 'ump_rules_tracked_pairs')) === 1, f.within);

    // Another worker took the partition over (a rebalance): it claims it when it handles a batch.
    if (claimedElsewhere) for (const partition of [0, 1, 2]) await cache.set(`rules:owner:rules:${partition}`, 'another-worker');
    clock = t + 120_000;
    if (claimedElsewhere) {
      await eventually(async () => (await f.metric(worker.registry, 'ump_rules_tracked_pairs')) === 0, f.within);
      await settle();
      expect(seen).toEqual([]);
    } else {
      await eventually(() => seen.length === 1, f.within);
      expect(seen[0]).toMatchObject({ type: 'firing', at: t + 60_000 });
    }
  });

  it('skips and counts malformed telemetry, and skips an invalid stored rule without stopping', async () => {
    const tenantId = await f.tenant();
    const deviceId = await f.device(tenantId);
    await f.rule(tenantId, { deviceId }, { condition: { key: 'temperature', op: 'GT', value: 'hot' } });
    await f.rule(tenantId, { deviceId: 'not-a-uuid' }, overheat);
    await f.rule(tenantId, { deviceId }, overheat);
    const bus = f.bus();
    const seen = await f.signals(bus);
    const worker = await f.startWorker({ bus, cache: f.cache() });
    expect(await f.metric(worker.registry, 'ump_rules_invalid_rules_total')).toBe(2);
    const t = Date.now() - 60_000;

    await f.send(bus, ['not an object', { ...f.point(tenantId, deviceId, t, {}), deviceId: 'nope' }, f.point(tenantId, deviceId, t, { temperature: 90 })]);
    await eventually(() => seen.length === 1, f.within);
    expect(await f.metric(worker.registry, 'ump_rules_malformed_total')).toBe(2);
    expect(await f.metric(worker.registry, 'ump_rules_signals_total', { type: 'firing' })).toBe(1);
    expect(bus.failures).toEqual([]);
  });

  it('looks device labels up once per batch, not per message, and keeps them for the TTL', async () => {
    const tenantId = await f.tenant();
    const devices = await Promise.all(Array.from({ length: 10 }, () => f.device(tenantId, { labels: ['fleet'] })));
    await f.rule(tenantId, { labels: ['fleet'] }, overheat);
    const bus = f.bus({ maxBatchSize: 1_000 });
    const worker = await f.startWorker({ bus, cache: f.cache(), groupId: `g-${randomUUID()}` });
    const t = Date.now() - 60_000;
    const batch = devices.flatMap((d) => Array.from({ length: 5 }, (_, i) => f.point(tenantId, d, t + i, { temperature: 20 })));
    f.counter.reset();
    await f.send(bus, batch);
    await eventually(async () => (await f.metric(worker.registry, 'ump_rules_messages_total')) === 50, f.within);
    const deviceQueries = () => f.counter.queries.filter((q) => q.includes('"devices"')).length;
    // One batch per partition holding devices (at most 3), one query each.
    expect(deviceQueries()).toBeGreaterThan(0);
    expect(deviceQueries()).toBeLessThanOrEqual(3);
    const before = deviceQueries();
    await f.send(bus, devices.map((d) => f.point(tenantId, d, t + 10, { temperature: 20 })));
    await eventually(async () => (await f.metric(worker.registry, 'ump_rules_messages_total')) === 60, f.within);
    expect(deviceQueries()).toBe(before);
  });

  it('persists each pair under rules:state:<ruleId>:<deviceId>', async () => {
    const tenantId = await f.tenant();
    const deviceId = await f.device(tenantId);
    const ruleId = await f.rule(tenantId, { deviceId }, overheat);
    const bus = f.bus();
    const cache = f.cache();
    const worker = await f.startWorker({ bus, cache });
    const t = Date.now() - 60_000;
    await f.send(bus, [f.point(tenantId, deviceId, t, { temperature: 90 })]);
    await eventually(async () => (await f.metric(worker.registry, 'ump_rules_messages_total')) === 1, f.within);
    const stored = JSON.parse((await cache.get(stateKey(ruleId, deviceId)))!) as { active: boolean; lastTs: number };
    expect(stored).toMatchObject({ active: true, lastTs: t });
  });
});
