import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createClickHouseStore, createLogger, deadLetterSchema, type ClickHouseTelemetryStore, type EventBus, type RolloutEvent,
  type RolloutHistoryStore, type RolloutStageStats,
} from '@ump/core';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import { testBuses } from '../../../core/src/testing/buses';
import { createRolloutHistoryWriter } from './rollout-history';

/**
 * The rollout history writer tests' world: an embedded chDB store in a temp directory (one
 * per test file), buses, writers, and a tenant's rollout with its known stage statistics.
 * Registers Jest hooks; call once at the top of a test file. Buses, writers and
 * subscriptions end after each test.
 */
export function useRolloutHistoryFixture() {
  const logger = createLogger({ name: 'test', level: 'silent' });
  const within = { timeoutMs: 20_000, intervalMs: 25 };
  const base = Date.now() - 86_400_000;
  const cleanup: Array<() => Promise<void>> = [];
  let dir: string;
  let store: ClickHouseTelemetryStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ump-rollout-writer-'));
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

  const { memoryBus, kafkaBus } = testBuses((close) => void cleanup.push(close), 'rollout-history-test');

  async function startWriter(bus: EventBus, groupId: string, history?: RolloutHistoryStore, metrics?: Registry) {
    const writer = createRolloutHistoryWriter({ bus, store: history ?? store.rolloutHistory, groupId, logger, metrics });
    cleanup.push(() => writer.stop());
    await writer.start();
    return writer;
  }

  async function collectDeadLetters(bus: EventBus) {
    const letters: Array<{ value: z.infer<typeof deadLetterSchema>; headers: Record<string, string> }> = [];
    const sub = await bus.subscribe({
      topic: 'rollout.events.dlq.v1', groupId: `dlq-${randomUUID()}`, fromBeginning: true,
      handleBatch: async (batch) => { letters.push(...batch.messages.map((m) => ({ value: deadLetterSchema.parse(m.value), headers: m.headers }))); },
    });
    cleanup.push(() => sub.stop());
    return letters;
  }

  /**
   * A tenant's rollout of ten devices in two stages (devices 0-3, then 4-9), one second
   * apart: each is ASSIGNED, QUEUED, then device i ends FAILED (i % 4 = 0), UPDATED (1),
   * CANCELLED (2) or DOWNLOADING (3: still in progress). 34 events in all; their statistics
   * are {@link expectedStats}.
   */
  function rollout(tenantId: string): { rolloutId: string; events: RolloutEvent[] } {
    const rolloutId = randomUUID();
    let [at, n] = [base, 0];
    const event = (fields: Pick<RolloutEvent, 'type' | 'stageIndex'> & Partial<RolloutEvent>): RolloutEvent => ({
      eventId: `${rolloutId}:${++n}`, tenantId, rolloutId, state: 'RUNNING', firmwareId: rolloutId, firmwareVersion: '2.0.0', at: (at += 1_000), ...fields,
    });
    const finals = ['FAILED', 'UPDATED', 'CANCELLED', 'DOWNLOADING'];
    const stage = (stageIndex: number, devices: number[]) => [
      event({ type: 'stage_started', stageIndex }),
      ...devices.flatMap((i) => {
        const deviceId = randomUUID();
        return ['ASSIGNED', 'QUEUED', finals[i % 4]!].map((deviceStatus) => event({ type: 'device_progress', stageIndex, deviceId, deviceStatus }));
      }),
    ];
    const events = [
      event({ type: 'state_changed', stageIndex: 0 }),
      ...stage(0, [0, 1, 2, 3]),
      event({ type: 'gate_evaluated', stageIndex: 0, gate: 'INSTALL_SUCCESS', passed: true }),
      ...stage(1, [4, 5, 6, 7, 8, 9]),
    ];
    return { rolloutId, events };
  }

  const expectedStats: RolloutStageStats[] = [
    { stageIndex: 0, assigned: 4, updated: 1, failed: 1, inProgress: 1, cancelled: 1, rolledBack: 0 },
    { stageIndex: 1, assigned: 6, updated: 2, failed: 2, inProgress: 1, cancelled: 1, rolledBack: 0 },
  ];

  /** Publishes values as producers would, keyed by rollout id (anything for values without one). */
  const publish = (bus: EventBus, values: unknown[]) =>
    bus.publish('rollout.events.v1', values.map((value) => {
      const key: unknown = typeof value === 'object' && value !== null ? Reflect.get(value, 'rolloutId') : undefined;
      return { key: typeof key === 'string' ? key : 'unkeyed', value };
    }));

  const statsOf = (tenantId: string, rolloutId: string) => store.rolloutHistory.stageStats({ tenantId, rolloutId });

  /**
   * A history whose process dies at its `crashAt`-th insert, just after the insert landed
   * (the acknowledgement and the commit are lost), and answers nothing from then on.
   */
  function dyingHistory(crashAt: number) {
    let [inserts, dead] = [0, false];
    const dying: RolloutHistoryStore = {
      ...store.rolloutHistory,
      async insert(events) {
        if (dead) throw new Error('the writer process is gone');
        await store.rolloutHistory.insert(events);
        if (++inserts >= crashAt) {
          dead = true;
          throw new Error('crashed after the insert');
        }
      },
    };
    return { history: dying, isDead: () => dead };
  }

  return {
    within, memoryBus, kafkaBus, startWriter, collectDeadLetters, rollout, expectedStats, publish, statsOf, dyingHistory,
    /** The healthy rollout history (available once the hooks ran). */
    history: () => store.rolloutHistory,
  };
}
