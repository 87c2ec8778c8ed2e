import { randomBytes, randomUUID } from 'node:crypto';
import {
  alertSignalsTopic, createLogger, createMemoryBus, createMemoryCache, RULE_CHANGES_CHANNEL,
  type AlertSignal, type Cache, type EventBus, type RuleChange, type RuleSpec, type RuleTarget, type Severity,
  type TelemetryMessage, type TelemetryValue,
} from '@ump/core';
import { createQueryCounter, type PrismaClient, type QueryCounter } from '@ump/db';
import { createEmbeddedTestDatabase, createTestDatabase } from '@ump/db/src/testing';
import { Registry } from 'prom-client';
import { createRuleWorker, type RuleWorker, type RuleWorkerOptions } from './rule-worker';

/**
 * The rule worker tests' world: one embedded database per test file (tenants, devices,
 * profiles and rules inserted with the Prisma client), and per test in-process buses,
 * caches and workers, all stopped after each test. Registers Jest hooks; call once at the
 * top of a test file. Fixtures compose: tenant → profile → device → rule. `database`:
 * in-memory PGlite (default, for unit tests) or a throwaway database on the test Postgres.
 */
export function useRulesFixture({ database = 'embedded' }: { database?: 'embedded' | 'postgres' } = {}) {
  const logger = createLogger({ name: 'test', level: 'silent' });
  const within = { timeoutMs: 5_000, intervalMs: 10 };
  const counter: QueryCounter = createQueryCounter();
  const cleanup: Array<() => Promise<unknown>> = [];
  let prisma: PrismaClient;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const test = database === 'postgres' ? await createTestDatabase({ onQuery: counter.onQuery }) : await createEmbeddedTestDatabase({ onQuery: counter.onQuery });
    prisma = test.db.prisma;
    drop = test.drop;
  }, 60_000); // a fresh PGlite with every migration takes a few seconds
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  afterAll(async () => {
    await drop?.();
  });

  const suffix = () => randomBytes(4).toString('hex');

  async function tenant(): Promise<string> {
    return (await prisma.tenant.create({ data: { name: `acme-${suffix()}` } })).id;
  }
  async function profile(tenantId: string): Promise<string> {
    return (await prisma.deviceProfile.create({ data: { tenantId, name: `profile-${suffix()}` } })).id;
  }
  async function device(tenantId: string, opts: { labels?: string[]; profileId?: string } = {}): Promise<string> {
    const row = await prisma.device.create({ data: { tenantId, name: `device-${suffix()}`, labels: opts.labels ?? [], profileId: opts.profileId ?? null } });
    return row.id;
  }
  /** Inserts a rule row as the alert subgraph would; `spec` and `target` are stored as given (valid or not). */
  async function rule(tenantId: string, target: RuleTarget | object, spec: RuleSpec | object, opts: { severity?: Severity; enabled?: boolean } = {}) {
    const row = await prisma.alertRule.create({
      data: { tenantId, name: `rule-${suffix()}`, severity: opts.severity ?? 'MAJOR', target, spec, enabled: opts.enabled ?? true },
    });
    return row.id;
  }

  /** A 3-partition bus retrying fast; records handler failures. */
  function bus(options: { maxBatchSize?: number } = {}) {
    const failures: unknown[] = [];
    const created = createMemoryBus({ partitions: 3, retryBackoffMs: 20, maxBatchSize: options.maxBatchSize ?? 100, onError: (error) => failures.push(error) });
    cleanup.push(() => created.close());
    return Object.assign(created, { failures });
  }
  function cache(): Cache {
    const created = createMemoryCache({ keyPrefix: `test-${suffix()}:` });
    cleanup.push(() => created.close());
    return created;
  }

  async function startWorker(deps: { bus: EventBus; cache: Cache } & Partial<RuleWorkerOptions>): Promise<RuleWorker & { registry: Registry }> {
    const registry = new Registry();
    const worker = createRuleWorker({ prisma, logger, metrics: registry, tickIntervalMs: 50, reloadIntervalMs: 60_000, groupId: 'rules', ...deps });
    cleanup.push(() => worker.stop());
    await worker.start();
    return Object.assign(worker, { registry });
  }

  /** Every signal published, collected from the beginning. */
  async function signals(on: EventBus): Promise<AlertSignal[]> {
    const seen: AlertSignal[] = [];
    const sub = await on.subscribe({
      topic: alertSignalsTopic.name, groupId: `signals-${suffix()}`, fromBeginning: true,
      handleBatch: async (batch) => {
        for (const message of batch.messages) {
          const parsed = alertSignalsTopic.parse(message.value);
          if (!parsed.ok) throw new Error(`bad signal: ${parsed.reason}`);
          seen.push(parsed.value);
        }
      },
    });
    cleanup.push(() => sub.stop());
    return seen;
  }

  const point = (tenantId: string, deviceId: string, ts: number, values: Record<string, TelemetryValue>): TelemetryMessage => ({
    messageId: randomUUID(), tenantId, deviceId, ts, receivedAt: ts, values,
  });
  /** Publishes telemetry keyed by device, as the intake does; raw values may be malformed on purpose. */
  const send = (on: EventBus, messages: unknown[]) =>
    on.publish('telemetry.v1', messages.map((value) => ({ key: (value as { deviceId?: string })?.deviceId ?? 'x', value })));

  const announce = (on: Cache, change: RuleChange) => on.publish(RULE_CHANGES_CHANNEL, JSON.stringify(change));

  const metric = async (registry: Registry, name: string, labels: Record<string, string> = {}) => {
    const values = (await registry.getSingleMetric(name)!.get()).values;
    return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
  };

  return {
    logger, within, counter, tenant, profile, device, rule, bus, cache, startWorker, signals, point, send, announce, metric,
    prisma: () => prisma,
  };
}
