import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { createLogger, deadLetterSchema, type EventBus, type TelemetryMessage, type TelemetryStore } from '@ump/core';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { int64, openClickHouse, selectRows } from '../../../core/src/telemetry/clickhouse-client';
import { createClickHouseStore, type ClickHouseTelemetryStore } from '../../../core/src/telemetry/clickhouse-store';
import { eventually, sleep } from '../../../core/src/testing/eventually';
import { testBuses } from '../../../core/src/testing/buses';
import { createTelemetryWriter, type TelemetryWriter } from './telemetry-writer';

/**
 * The writer tests' world: an embedded chDB store in a temp directory (one per test file),
 * in-process buses, writers, and counts read behind the store's back. Registers Jest hooks;
 * call once at the top of a test file. Buses, writers and subscriptions end after each test.
 */
export function useWriterFixture() {
  const logger = createLogger({ name: 'test', level: 'silent' });
  const within = { timeoutMs: 20_000, intervalMs: 25 };
  const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 86_400_000;
  const devices = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const cleanup: Array<() => Promise<void>> = [];
  let dir: string;
  let store: ClickHouseTelemetryStore;
  let admin: ClickHouseClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ump-writer-'));
    store = createClickHouseStore({ dataDir: dir, database: 'ump_test' });
    await store.migrate();
    admin = openClickHouse({ dataDir: dir }).client;
  });
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  afterAll(async () => {
    await admin?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The i-th message of a tenant: two values, one second apart, round-robin over four devices. */
  const message = (tenantId: string, i: number): TelemetryMessage => ({
    messageId: `msg-${tenantId.slice(0, 8)}-${i}`,
    tenantId,
    deviceId: devices[i % devices.length]!,
    ts: base + i * 1_000,
    receivedAt: base + i * 1_000 + 5,
    values: { temp: i, hum: i % 7 },
  });
  const publish = (bus: EventBus, values: unknown[]) =>
    bus.publish('telemetry.v1', values.map((value, i) => ({ key: devices[i % devices.length]!, value })));

  /**
   * Starts a writer. Each test passes its own group: the journal is keyed by group, topic and
   * partition, and every test's bus starts its offsets at 0 again, as a recreated topic would.
   */
  async function startWriter(bus: EventBus, groupId: string, writerStore: TelemetryStore = store, metrics?: Registry): Promise<TelemetryWriter> {
    const writer = createTelemetryWriter({ bus, store: writerStore, groupId, logger, metrics });
    cleanup.push(() => writer.stop());
    await writer.start();
    return writer;
  }

  const { memoryBus, kafkaBus } = testBuses((close) => void cleanup.push(close), 'writer-test');

  async function collectDeadLetters(bus: EventBus) {
    const letters: Array<{ value: z.infer<typeof deadLetterSchema>; headers: Record<string, string> }> = [];
    const sub = await bus.subscribe({
      topic: 'telemetry.dlq.v1', groupId: `dlq-${randomUUID()}`, fromBeginning: true,
      handleBatch: async (batch) => { letters.push(...batch.messages.map((m) => ({ value: deadLetterSchema.parse(m.value), headers: m.headers }))); },
    });
    cleanup.push(() => sub.stop());
    return letters;
  }

  /** Everything one tenant has in the raw table and the rollups. */
  async function countsOf(tenantId: string) {
    const row = z.object({ rows: int64, distinct_rows: int64, messages: int64, m1: int64, h1: int64, hour_points: int64, hour_messages: int64 });
    const [counts] = await selectRows(admin, `/* test.writer_counts */
SELECT (SELECT count() FROM ump_test.telemetry_points WHERE tenant_id = {t:UUID}) AS rows,
  (SELECT uniqExact(message_id, key) FROM ump_test.telemetry_points WHERE tenant_id = {t:UUID}) AS distinct_rows,
  (SELECT uniqExact(message_id) FROM ump_test.telemetry_points WHERE tenant_id = {t:UUID}) AS messages,
  (SELECT sum(count_all) FROM ump_test.telemetry_rollup_1m WHERE tenant_id = {t:UUID}) AS m1,
  (SELECT sum(count_all) FROM ump_test.telemetry_rollup_1h WHERE tenant_id = {t:UUID}) AS h1,
  (SELECT sum(data_points) FROM ump_test.telemetry_device_hours WHERE tenant_id = {t:UUID}) AS hour_points,
  (SELECT sum(messages) FROM ump_test.telemetry_device_hours WHERE tenant_id = {t:UUID}) AS hour_messages`, { t: tenantId }, row);
    return counts!;
  }

  /**
   * Waits until every message reached the last rollup its insert feeds, then a short settle
   * window so a late duplicate would show, and expects each point exactly once everywhere:
   * two rows per message in the raw table and in every rollup.
   */
  async function expectExactlyOnce(tenantId: string, messages: number) {
    await eventually(async () => (await countsOf(tenantId)).hour_messages >= messages, within);
    await sleep(300);
    const points = 2 * messages;
    expect(await countsOf(tenantId)).toEqual({ rows: points, distinct_rows: points, messages, m1: points, h1: points, hour_points: points, hour_messages: messages });
  }

  /**
   * A store whose process dies at its `crashAt`-th insert — just after the insert landed (the
   * ack and the commit are lost) or just before it (the journal already holds the intent) —
   * and answers nothing from then on.
   */
  function dyingStore(crashAt: number, when: 'before' | 'after' = 'after') {
    let inserts = 0;
    let dead = false;
    const alive = () => { if (dead) throw new Error('the writer process is gone'); };
    const dying: TelemetryStore = {
      ...store,
      journal: {
        overlapping: async (...args) => (alive(), store.journal.overlapping(...args)),
        record: async (...args) => (alive(), store.journal.record(...args)),
        ack: async (...args) => (alive(), store.journal.ack(...args)),
      },
      async insert(points, opts) {
        alive();
        const crash = ++inserts >= crashAt;
        if (crash && when === 'before') dead = true;
        else await store.insert(points, opts);
        if (crash) {
          dead = true;
          throw new Error(`crashed ${when} the insert`);
        }
      },
    };
    return { store: dying, isDead: () => dead };
  }

  return {
    within, message, publish, startWriter, memoryBus, kafkaBus, collectDeadLetters, countsOf, expectExactlyOnce, dyingStore,
    /** The healthy store (available once the hooks ran). */
    store: () => store,
  };
}
