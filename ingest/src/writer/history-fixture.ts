import { randomUUID } from 'node:crypto';
import { createLogger, deadLetterSchema, type ClickHouseTelemetryStore, type EventBus, type Logger } from '@ump/core';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import { testBuses } from '../../../core/src/testing/buses';
import { useChdbStore } from '../../../core/src/testing/chdb-store';
import { eventually } from '../../../core/src/testing/eventually';
import type { HistoryWriter } from './history-writer';

/** A history as the writer sees it; method syntax, so a history of any event type fits. */
interface History {
  insert(events: readonly unknown[]): Promise<void>;
}

/** What {@link useHistoryFixture} needs to know of one history writer. */
export interface HistoryFixtureSpec<H extends History> {
  /** Names the temp directory ('ump-<name>-writer-…') and the Kafka client ('<name>-history-test'). */
  name: string;
  /** The consumed topic and its dead-letter topic, spelled out so the tests check the writer's names. */
  topic: string;
  deadLetterTopic: string;
  /** The event field producers key messages by. */
  keyField: string;
  /** The writer's history in the store. */
  history(store: ClickHouseTelemetryStore): H;
  createWriter(opts: { bus: EventBus; store: H; groupId: string; logger: Logger; metrics?: Registry }): HistoryWriter;
}

/**
 * The shared world of the history writer tests: an embedded chDB store in a temp directory
 * (one per test file), buses, writers, dead letters, and histories that fail on purpose.
 * Registers Jest hooks; call once at the top of a test file (through the writer's own
 * fixture). Buses, writers and subscriptions end after each test.
 */
export function useHistoryFixture<H extends History>(spec: HistoryFixtureSpec<H>) {
  const logger = createLogger({ name: 'test', level: 'silent' });
  const within = { timeoutMs: 20_000, intervalMs: 25 };
  const cleanup: Array<() => Promise<void>> = [];
  const chdb = useChdbStore(`ump-${spec.name}-writer-`);
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  const { memoryBus, kafkaBus } = testBuses((close) => void cleanup.push(close), `${spec.name}-history-test`);

  /** The healthy history (available once the hooks ran). */
  const history = () => spec.history(chdb.store);

  async function startWriter(bus: EventBus, groupId: string, store?: H, metrics?: Registry) {
    const writer = spec.createWriter({ bus, store: store ?? history(), groupId, logger, metrics });
    cleanup.push(() => writer.stop());
    await writer.start();
    return writer;
  }

  async function collectDeadLetters(bus: EventBus) {
    const letters: Array<{ value: z.infer<typeof deadLetterSchema>; headers: Record<string, string> }> = [];
    const sub = await bus.subscribe({
      topic: spec.deadLetterTopic, groupId: `dlq-${randomUUID()}`, fromBeginning: true,
      handleBatch: async (batch) => { letters.push(...batch.messages.map((m) => ({ value: deadLetterSchema.parse(m.value), headers: m.headers }))); },
    });
    cleanup.push(() => sub.stop());
    return letters;
  }

  /** Publishes values as producers would, keyed by `keyField` (anything for values without one). */
  const publish = (bus: EventBus, values: unknown[]) =>
    bus.publish(spec.topic, values.map((value) => {
      const key: unknown = typeof value === 'object' && value !== null ? Reflect.get(value, spec.keyField) : undefined;
      return { key: typeof key === 'string' ? key : 'unkeyed', value };
    }));

  /**
   * A history whose process dies at its `crashAt`-th insert, just after the insert landed
   * (the acknowledgement and the commit are lost), and answers nothing from then on.
   */
  function dyingHistory(crashAt: number) {
    let [inserts, dead] = [0, false];
    const dying: H = {
      ...history(),
      async insert(events: readonly unknown[]) {
        if (dead) throw new Error('the writer process is gone');
        await history().insert(events);
        if (++inserts >= crashAt) {
          dead = true;
          throw new Error('crashed after the insert');
        }
      },
    };
    return { history: dying, isDead: () => dead };
  }

  /** A history that counts the events it acknowledged, to wait for a whole log to be through. */
  function counting() {
    const counted = { events: 0, history: undefined as unknown as H };
    counted.history = {
      ...history(),
      async insert(events: readonly unknown[]) {
        await history().insert(events);
        counted.events += events.length;
      },
    };
    return counted;
  }

  /** Waits for `read` to answer `expected`, then compares, so a wrong answer fails with its difference. */
  async function expectSettled(read: () => Promise<unknown>, expected: unknown) {
    await eventually(async () => JSON.stringify(await read()) === JSON.stringify(expected), within).catch(() => undefined);
    expect(await read()).toEqual(expected);
  }

  return { within, memoryBus, kafkaBus, startWriter, collectDeadLetters, publish, dyingHistory, counting, expectSettled, history };
}
