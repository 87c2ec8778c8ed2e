import {
  alertEventsTopic,
  alertSignalsTopic,
  deadLetterName,
  deadLetterOf,
  publishDeadLetters,
  type AlertEvent,
  type Batch,
  type BusSubscription,
  type Cache,
  type EventBus,
  type Logger,
} from '@ump/core';
import type { PrismaClient } from '@ump/db';
import type { Registry } from 'prom-client';
import type { TicketAutomation } from '../tickets/hooks';
import { applySignal } from './apply';
import { DEFAULT_FLAP_POLICY, type FlapPolicy } from './flapping';
import { createSignalMetrics } from './metrics';
import { surfaceEndedHolds } from './held';
import { loggedUpdateWindow } from './update-window';

/** Options of {@link createSignalConsumer}. */
export interface SignalConsumerOptions {
  prisma: PrismaClient;
  bus: EventBus;
  /**
   * Where the OTA engine marks devices installing an update (`updateWindowKey`): a silence
   * (NO_DATA) alert of such a device is recorded suppressed, without notifications. Absent:
   * no alert is held for an update.
   */
  cache?: Cache;
  logger: Logger;
  /** Consumer group; default 'alerts'. Consumers sharing it split the partitions. */
  groupId?: string;
  /** Default true: signals published before the first start are not lost. */
  fromBeginning?: boolean;
  /** Opens and resolves tickets; absent, alerts open none. */
  tickets?: TicketAutomation;
  /** Default 5 changes within 10 minutes (see flapping.ts). */
  flap?: FlapPolicy;
  /** Registry for the consumer's counters; none by default. */
  metrics?: Registry;
  /** How often held alerts are re-checked, so one whose hold ended is announced (see held.ts); default 30,000 ms. */
  holdCheckMs?: number;
}

export interface SignalConsumer {
  /** Joins the group; resolves once subscribed. Rejects when already started or the bus is closed. */
  start(): Promise<void>;
  /** Leaves the group after the batch in progress finishes. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Consumes `alert.signals.v1` and applies each signal to its alert (see applySignal: one
 * open alert per rule and device, duplicates and out-of-order signals ignored, flapping and
 * suppression: maintenance windows, and OTA update windows for silence rules). A message
 * that fails the contract goes to `alert.signals.dlq.v1` with the reason and the consumer
 * goes on; a database failure rejects the batch, which the bus
 * redelivers (already applied signals are then ignored as stale). Alert events are published
 * after each signal's transaction commits; a failed publish is logged and counted, not
 * retried (the alert itself is committed and correct). Every `holdCheckMs` it also announces
 * held alerts whose maintenance or update window has ended (surfaceEndedHolds).
 */
export function createSignalConsumer(opts: SignalConsumerOptions): SignalConsumer {
  const { prisma, bus, groupId = 'alerts', fromBeginning = true } = opts;
  const flap = opts.flap ?? DEFAULT_FLAP_POLICY;
  const log = opts.logger.child({ component: 'alert-signals', groupId });
  const metrics = createSignalMetrics(opts.metrics);
  const updating = opts.cache ? loggedUpdateWindow(opts.cache, log, metrics.updateWindowFailed) : undefined;
  const dlqTopic = deadLetterName(alertSignalsTopic);
  let subscription: BusSubscription | undefined;
  let starting: Promise<void> | undefined;
  let holdTimer: NodeJS.Timeout | undefined;
  let holdCheck: Promise<void> = Promise.resolve();
  let stopped = false;
  const checkHolds = () => {
    if (stopped) return;
    holdTimer = setTimeout(() => {
      holdCheck = surfaceEndedHolds(prisma, { flap, tickets: opts.tickets, updating })
        .then(publish)
        .catch((error: unknown) => log.error({ err: error }, 'could not re-check held alerts'))
        .finally(checkHolds);
    }, opts.holdCheckMs ?? 30_000);
    holdTimer.unref();
  };

  const publish = async (events: AlertEvent[]) => {
    if (events.length === 0) return;
    try {
      await bus.publish(alertEventsTopic.name, events.map((event) => ({ key: event.alertId, value: event })));
    } catch (error) {
      metrics.publishFailed.inc(events.length);
      log.error({ err: error, events: events.map((e) => e.eventId) }, 'could not publish alert events');
    }
  };

  const handleBatch = async (batch: Batch) => {
    for (const message of batch.messages) {
      const parsed = alertSignalsTopic.parse(message.value);
      if (!parsed.ok) {
        await publishDeadLetters(bus, dlqTopic, batch, [{ message, letter: deadLetterOf(message, alertSignalsTopic.name, parsed.reason) }]);
        metrics.deadLettered.inc();
        log.warn({ partition: batch.partition, offset: message.offset, reason: parsed.reason }, 'alert signal dead-lettered');
        continue;
      }
      const signal = parsed.value;
      const outcome = await applySignal(prisma, signal, { flap, tickets: opts.tickets, updating });
      if (!outcome.applied) {
        metrics.ignored.inc({ reason: outcome.reason });
        log.debug({ signalId: signal.signalId, reason: outcome.reason }, 'alert signal ignored');
        continue;
      }
      metrics.applied.inc({ type: signal.type });
      await publish(outcome.events);
    }
  };

  return {
    async start() {
      if (starting) throw new Error('signal consumer already started');
      starting = (async () => {
        subscription = await bus.subscribe({ topic: alertSignalsTopic.name, groupId, fromBeginning, handleBatch });
        log.info({ topic: alertSignalsTopic.name }, 'alert signal consumer subscribed');
        checkHolds();
      })();
      await starting;
    },
    async stop() {
      stopped = true;
      clearTimeout(holdTimer);
      await starting?.catch(() => undefined);
      await holdCheck;
      await subscription?.stop();
    },
  };
}
