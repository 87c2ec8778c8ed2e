import { randomUUID } from 'node:crypto';
import {
  alertSignalsTopic, RULE_CHANGES_CHANNEL, ruleChangeSchema, telemetryTopic,
  type AlertRuleDefinition, type AlertSignal, type Batch, type BusSubscription, type Cache, type EventBus, type Logger,
  type TelemetryMessage, type Unsubscribe,
} from '@ump/core';
import type { PrismaClient } from '@ump/db';
import type { Registry } from 'prom-client';
import { evaluatePoint, evaluateTick, needsTicks, toSignal, type RuleState } from './engine';
import { createDeviceDirectory } from './device-directory';
import { createRuleWorkerMetrics } from './metrics';
import { createRuleSource } from './rule-source';
import { createRuleSet, targets } from './rule-set';
import { createStateStore, stateKey } from './state-store';

/*
 * How the worker stays correct over an at-least-once bus
 * ======================================================
 *
 * Per batch (one partition, in order): load the states of the (rule, device) pairs the
 * batch touches FROM THE CACHE → evaluate → publish the signals (await) → persist the
 * states → resolve (the bus commits the offsets). A crash anywhere before the commit
 * redelivers the batch; the states persisted so far are either the old ones (the batch is
 * evaluated again, giving the same transitions and hence the same signal ids, which the
 * alert side ignores) or the new ones (every point is then a duplicate and nothing is
 * emitted — the signals were published before the states were written). So no clear is
 * lost and no raise is doubled, and a partition that moves to another worker continues
 * from the persisted state.
 *
 * Time (NO_DATA, escalation) has no message to ride on: every `tickIntervalMs` the worker
 * evaluates the pairs it holds in memory — those of the partitions it handled batches of —
 * and publishes and persists the same way. A worker that handles a batch claims the
 * partition in the cache (`rules:owner:<group>:<partition>`); a tick first checks the claim
 * and drops a partition another worker has claimed since, so after a rebalance only the new
 * owner ticks it (from the states it loads with its first batch).
 *
 * Limits: a worker only knows devices it has seen a point from since it started (or took
 * the partition over), so silence of a device that never sends again after a restart or a
 * rebalance is not detected until it sends once; a tick and the new owner's first batch can
 * race for a moment right after a rebalance (both emit deterministic ids, so the alert side
 * dedups, but one state write may win over the other).
 */

/** Options of {@link createRuleWorker}. */
export interface RuleWorkerOptions {
  bus: EventBus;
  prisma: PrismaClient;
  /** Holds the per-pair states and partition claims, and carries rule-change notifications. */
  cache: Cache;
  logger: Logger;
  /** Registry for the worker's counters and gauges; none by default. */
  metrics?: Registry;
  /** Consumer group; default 'rules'. Workers sharing it split the partitions. */
  groupId?: string;
  /** How often silence and escalations are evaluated; default 1000 ms. */
  tickIntervalMs?: number;
  /** Full reload of the rules (pub/sub is at-most-once); default 30 000 ms. */
  reloadIntervalMs?: number;
  /** How long a device's profile and labels are trusted; default 30 000 ms. */
  deviceTtlMs?: number;
  /**
   * Where a group without committed offsets starts; default false (new telemetry only):
   * replaying retained history would raise alerts about the past.
   */
  fromBeginning?: boolean;
  /** Clock of the ticks; default Date.now. */
  now?: () => number;
}

/** A rule worker. */
export interface RuleWorker {
  /**
   * Loads the rules, listens for rule changes, joins the group and starts ticking; resolves
   * once subscribed. Rejects when already started, or when the first load or subscribe fails.
   */
  start(): Promise<void>;
  /** Stops ticking and reloading and leaves the group after the batch in progress. Idempotent. */
  stop(): Promise<void>;
}

/** A pair this worker ticks. */
interface Tracked {
  ruleId: string;
  deviceId: string;
  state: RuleState;
}

interface Evaluated {
  rule: AlertRuleDefinition;
  deviceId: string;
  state: RuleState;
}

/**
 * The rule worker: consumes `telemetry.v1`, evaluates the enabled rules that target each
 * device (its id, its profile or its labels; only rules of the message's tenant), and
 * publishes `alert.signals.v1`. Malformed messages are counted and skipped (the writer
 * dead-letters them). A stored rule that fails validation is logged and skipped. A cache,
 * database or bus failure rejects the batch, which the bus redelivers. See the comment above
 * for the delivery guarantees.
 */
export function createRuleWorker(opts: RuleWorkerOptions): RuleWorker {
  const { bus, prisma, cache, groupId = 'rules', tickIntervalMs = 1_000, reloadIntervalMs = 30_000, fromBeginning = false, now = Date.now } = opts;
  const log = opts.logger.child({ component: 'rule-worker', groupId });
  const metrics = createRuleWorkerMetrics(opts.metrics);
  const workerId = randomUUID();
  const rules = createRuleSet();
  const source = createRuleSource(prisma, log, () => metrics.invalidRules.inc());
  const devices = createDeviceDirectory({ prisma, ttlMs: opts.deviceTtlMs, now });
  const states = createStateStore(cache);
  const owned = new Map<number, Map<string, Tracked>>();
  const ownerKey = (partition: number) => `rules:owner:${groupId}:${partition}`;

  // A batch and a tick of one partition never interleave: both read, then write, its states.
  const queues = new Map<number, Promise<unknown>>();
  const serialized = <T>(partition: number, fn: () => Promise<T>): Promise<T> => {
    const run = (queues.get(partition) ?? Promise.resolve()).then(fn, fn);
    queues.set(partition, run.catch(() => undefined));
    return run;
  };

  const setRulesGauge = () => metrics.rules.set(rules.size);
  const setTrackedGauge = () => metrics.tracked.set([...owned.values()].reduce((n, pairs) => n + pairs.size, 0));

  const publish = async (signals: AlertSignal[]) => {
    if (signals.length === 0) return;
    await bus.publish(alertSignalsTopic.name, signals.map((signal) => ({ key: signal.deviceId, value: signal })));
    for (const signal of signals) metrics.signals.inc({ type: signal.type });
    log.debug({ signals: signals.map((s) => s.signalId) }, 'alert signals published');
  };

  /** Remembers the pairs that need ticks, forgets those that no longer do. */
  const track = (partition: number, evaluated: Iterable<Evaluated>) => {
    let pairs = owned.get(partition);
    for (const { rule, deviceId, state } of evaluated) {
      const key = stateKey(rule.id, deviceId);
      if (!needsTicks(rule)) {
        pairs?.delete(key);
        continue;
      }
      if (!pairs) owned.set(partition, (pairs = new Map()));
      pairs.set(key, { ruleId: rule.id, deviceId, state });
    }
    setTrackedGauge();
  };

  /** Claims the partition; forgets what was held of it when another worker had claimed it since. */
  const claim = async (partition: number) => {
    const key = ownerKey(partition);
    if ((await cache.get(key)) === workerId) return;
    owned.delete(partition);
    await cache.set(key, workerId);
  };

  const mayHaveRules = (value: unknown) => {
    const tenantId = (value as { tenantId?: unknown } | null)?.tenantId;
    return typeof tenantId !== 'string' || rules.forTenant(tenantId).length > 0;
  };

  /** The rules of each message's tenant that target its device; one device query per batch at most. */
  const applicableRules = async (messages: TelemetryMessage[]) => {
    const facts = await devices.lookup(messages.filter((m) => rules.forTenant(m.tenantId).length > 0).map((m) => m.deviceId));
    return messages.map((message) => ({
      message,
      rules: rules.forTenant(message.tenantId).filter((rule) => targets(rule, message.deviceId, facts.get(message.deviceId))),
    }));
  };

  const handleBatch = (batch: Batch) =>
    serialized(batch.partition, async () => {
      const messages: TelemetryMessage[] = [];
      for (const incoming of batch.messages) {
        // Most tenants have no rules: skip their points before paying for validation (the
        // writer validates and dead-letters every message anyway).
        if (!mayHaveRules(incoming.value)) continue;
        const parsed = telemetryTopic.parse(incoming.value);
        if (parsed.ok) messages.push(parsed.value);
        else {
          metrics.malformed.inc();
          log.debug({ partition: batch.partition, offset: incoming.offset, reason: parsed.reason }, 'malformed telemetry skipped');
        }
      }
      await claim(batch.partition);
      if (messages.length === 0) return metrics.consumed.inc(batch.messages.length);
      const work = await applicableRules(messages);
      const pairs = work.flatMap(({ message, rules: applying }) => applying.map((rule) => ({ ruleId: rule.id, deviceId: message.deviceId })));
      const current = pairs.length > 0 ? await states.load(pairs) : new Map<string, RuleState>();
      const signals: AlertSignal[] = [];
      const changed = new Map<string, Evaluated>();
      for (const { message, rules: applying } of work) {
        for (const rule of applying) {
          const key = stateKey(rule.id, message.deviceId);
          const result = evaluatePoint(rule, current.get(key), { ts: message.ts, values: message.values });
          if (!result.changed) {
            metrics.duplicates.inc();
            continue;
          }
          current.set(key, result.state);
          changed.set(key, { rule, deviceId: message.deviceId, state: result.state });
          signals.push(...result.transitions.map((transition) => toSignal(rule, message.deviceId, transition)));
        }
      }
      // Signals before states: see the comment at the top of this file.
      await publish(signals);
      await states.save([...changed.values()].map(({ rule, deviceId, state }) => ({ ruleId: rule.id, deviceId, state })));
      track(batch.partition, changed.values());
      metrics.consumed.inc(batch.messages.length);
    });

  /** Lets time pass for one partition's pairs: silence and escalations. */
  const tickPartition = (partition: number, at: number) =>
    serialized(partition, async () => {
      const pairs = owned.get(partition);
      if (!pairs || pairs.size === 0) return;
      if ((await cache.get(ownerKey(partition))) !== workerId) {
        owned.delete(partition);
        setTrackedGauge();
        log.info({ partition }, 'partition claimed by another rule worker: no longer ticking it');
        return;
      }
      // A pair whose rule is gone or no longer targets the device is dropped, not ticked.
      const candidates = [...pairs].flatMap(([key, tracked]) => {
        const rule = rules.get(tracked.ruleId);
        if (rule && needsTicks(rule)) return [{ key, tracked, rule }];
        pairs.delete(key);
        return [];
      });
      const facts = await devices.lookup(candidates.map(({ tracked }) => tracked.deviceId));
      const signals: AlertSignal[] = [];
      const changed: Evaluated[] = [];
      for (const { key, tracked, rule } of candidates) {
        if (!targets(rule, tracked.deviceId, facts.get(tracked.deviceId))) {
          pairs.delete(key);
          continue;
        }
        const result = evaluateTick(rule, tracked.state, at);
        if (!result.changed) continue;
        changed.push({ rule, deviceId: tracked.deviceId, state: result.state });
        signals.push(...result.transitions.map((transition) => toSignal(rule, tracked.deviceId, transition)));
      }
      await publish(signals);
      await states.save(changed.map(({ rule, deviceId, state }) => ({ ruleId: rule.id, deviceId, state })));
      track(partition, changed);
    });

  const tick = async () => {
    const at = now();
    for (const partition of [...owned.keys()]) await tickPartition(partition, at);
  };

  const reload = async () => {
    rules.replaceAll(await source.all());
    setRulesGauge();
  };

  const onRuleChange = async (text: string) => {
    let change;
    try {
      change = ruleChangeSchema.parse(JSON.parse(text));
    } catch (error) {
      log.warn({ err: error, message: text.slice(0, 200) }, 'unreadable rule change notification ignored');
      return;
    }
    const rule = change.change === 'deleted' ? undefined : await source.one(change.tenantId, change.ruleId);
    if (rule) rules.upsert(rule);
    else rules.remove(change.ruleId);
    setRulesGauge();
    log.info({ ruleId: change.ruleId, change: change.change, applied: Boolean(rule) }, 'rule change applied');
  };

  let starting: Promise<void> | undefined;
  let running = false;
  let subscription: BusSubscription | undefined;
  let unsubscribe: Unsubscribe | undefined;
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();

  /** Runs `task` every `ms` after the previous run finished (never overlapping), while running. */
  const every = (ms: number, what: string, task: () => Promise<void>) => {
    const schedule = () => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        const run = task().catch((error: unknown) => log.error({ err: error }, `rule worker ${what} failed`));
        inFlight.add(run);
        void run.then(() => {
          inFlight.delete(run);
          if (running) schedule();
        });
      }, ms);
      timer.unref();
      timers.add(timer);
    };
    schedule();
  };

  return {
    async start() {
      if (starting) throw new Error('rule worker already started');
      starting = (async () => {
        // Listen before the first load, so a change made during it is not missed.
        unsubscribe = await cache.subscribe(RULE_CHANGES_CHANNEL, onRuleChange);
        try {
          await reload();
          subscription = await bus.subscribe({ topic: telemetryTopic.name, groupId, fromBeginning, handleBatch });
        } catch (error) {
          await unsubscribe();
          unsubscribe = undefined;
          throw error;
        }
        running = true;
        every(tickIntervalMs, 'tick', tick);
        every(reloadIntervalMs, 'reload', reload);
        log.info({ topic: telemetryTopic.name, rules: rules.size, workerId }, 'rule worker subscribed');
      })();
      await starting;
    },
    async stop() {
      await starting?.catch(() => undefined);
      running = false;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all(inFlight);
      await unsubscribe?.();
      unsubscribe = undefined;
      await subscription?.stop();
    },
  };
}
