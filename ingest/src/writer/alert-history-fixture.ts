import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createClickHouseStore, createLogger, deadLetterSchema, type AlertEvent, type AlertHistoryStore,
  type AlertStats, type ClickHouseTelemetryStore, type EventBus,
} from '@ump/core';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import { testBuses } from '../../../core/src/testing/buses';
import { createAlertHistoryWriter } from './alert-history';

/**
 * The alert history writer tests' world: an embedded chDB store in a temp directory (one
 * per test file), buses, writers, and a tenant's alert lifecycle with its known statistics.
 * Registers Jest hooks; call once at the top of a test file. Buses, writers and
 * subscriptions end after each test.
 */
export function useAlertHistoryFixture() {
  const logger = createLogger({ name: 'test', level: 'silent' });
  const within = { timeoutMs: 20_000, intervalMs: 25 };
  const DAY = 86_400_000;
  const base = Math.floor(Date.now() / DAY) * DAY - DAY;
  const window = { from: new Date(base), to: new Date(base + DAY) };
  const cleanup: Array<() => Promise<void>> = [];
  let dir: string;
  let store: ClickHouseTelemetryStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ump-alert-writer-'));
    store = createClickHouseStore({ dataDir: dir, database: 'ump_test' });
    await store.migrate();
  });
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const { memoryBus, kafkaBus } = testBuses((close) => void cleanup.push(close), 'alert-history-test');

  async function startWriter(bus: EventBus, groupId: string, history?: AlertHistoryStore, metrics?: Registry) {
    const writer = createAlertHistoryWriter({ bus, store: history ?? store.alertHistory, groupId, logger, metrics });
    cleanup.push(() => writer.stop());
    await writer.start();
    return writer;
  }

  async function collectDeadLetters(bus: EventBus) {
    const letters: Array<{ value: z.infer<typeof deadLetterSchema>; headers: Record<string, string> }> = [];
    const sub = await bus.subscribe({
      topic: 'alert.events.dlq.v1', groupId: `dlq-${randomUUID()}`, fromBeginning: true,
      handleBatch: async (batch) => { letters.push(...batch.messages.map((m) => ({ value: deadLetterSchema.parse(m.value), headers: m.headers }))); },
    });
    cleanup.push(() => sub.stop());
    return letters;
  }

  /**
   * Ten alerts of a tenant on one rule, one a minute: alert i is acknowledged 10·i s after
   * its raise, and the even ones are resolved 100 s after it (the odd ones stay open).
   * 25 events in all; their statistics are {@link expectedStats}.
   */
  function lifecycle(tenantId: string): AlertEvent[] {
    const ruleId = randomUUID();
    return Array.from({ length: 10 }, (_, i) => {
      const raisedAt = base + i * 60_000;
      const alert = { tenantId, ruleId, alertId: randomUUID(), deviceId: randomUUID(), severity: 'MAJOR' as const, flapping: false, raisedAt };
      const events: AlertEvent[] = [
        { ...alert, eventId: `${alert.alertId}:raised`, type: 'raised', status: 'ACTIVE_UNACK', at: raisedAt },
        { ...alert, eventId: `${alert.alertId}:ack`, type: 'acknowledged', status: 'ACTIVE_ACK', at: raisedAt + i * 10_000, actorId: randomUUID() },
      ];
      if (i % 2 === 0) events.push({ ...alert, eventId: `${alert.alertId}:resolved`, type: 'resolved', status: 'CLEARED_ACK', at: raisedAt + 100_000 });
      return events;
    }).flat();
  }

  const expectedStats = (ruleId: string): AlertStats => ({
    raised: 10,
    bySeverity: [{ severity: 'MAJOR', count: 10 }],
    byRule: [{ ruleId, count: 10 }],
    mttaSeconds: 45, // mean of 0, 10, … 90
    mttrSeconds: 100,
    open: 5,
  });

  /** Publishes values as producers would, keyed by alert id (anything for values without one). */
  const publish = (bus: EventBus, values: unknown[]) =>
    bus.publish('alert.events.v1', values.map((value) => {
      const key: unknown = typeof value === 'object' && value !== null ? Reflect.get(value, 'alertId') : undefined;
      return { key: typeof key === 'string' ? key : 'unkeyed', value };
    }));

  const statsOf = (tenantId: string) => store.alertHistory.stats({ tenantId, ...window });

  /**
   * A history whose process dies at its `crashAt`-th insert, just after the insert landed
   * (the acknowledgement and the commit are lost), and answers nothing from then on.
   */
  function dyingHistory(crashAt: number) {
    let [inserts, dead] = [0, false];
    const dying: AlertHistoryStore = {
      ...store.alertHistory,
      async insert(events) {
        if (dead) throw new Error('the writer process is gone');
        await store.alertHistory.insert(events);
        if (++inserts >= crashAt) {
          dead = true;
          throw new Error('crashed after the insert');
        }
      },
    };
    return { history: dying, isDead: () => dead };
  }

  return {
    within, memoryBus, kafkaBus, startWriter, collectDeadLetters, lifecycle, expectedStats, publish, statsOf, dyingHistory,
    /** The healthy alert history (available once the hooks ran). */
    history: () => store.alertHistory,
  };
}
