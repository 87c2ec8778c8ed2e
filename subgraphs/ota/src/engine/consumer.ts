import { deadLetterName, deadLetterOf, otaStatusTopic, publishDeadLetters, type Batch, type BusSubscription } from '@ump/core';
import type { EngineContext } from './context';
import { flushEffects } from './effects';
import { applyReport } from './status';

/** Options of {@link createStatusConsumer}. */
export interface StatusConsumerOptions {
  /** Consumer group; default 'ota-engine'. Engines sharing it split the partitions. */
  groupId?: string;
  /** Default true: reports published before the first start are not lost. */
  fromBeginning?: boolean;
  /** Called after a report that changed an assignment of a rollout was committed and published. */
  onApplied(rolloutId: string): void;
}

export interface StatusConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Consumes `ota.status.v1`: each valid report is applied (see applyReport) and its commands
 * and events published after its commit; a message failing the contract goes to
 * `ota.status.dlq.v1` with the reason and the consumer goes on. A database failure rejects
 * the batch, which the bus redelivers (reports already applied are then ignored as stale).
 */
export function createStatusConsumer(ctx: EngineContext, opts: StatusConsumerOptions): StatusConsumer {
  const { groupId = 'ota-engine', fromBeginning = true } = opts;
  const log = ctx.logger.child({ component: 'ota-status', groupId });
  const dlqTopic = deadLetterName(otaStatusTopic);
  let subscription: BusSubscription | undefined;
  let starting: Promise<void> | undefined;

  const handleBatch = async (batch: Batch) => {
    for (const message of batch.messages) {
      const parsed = otaStatusTopic.parse(message.value);
      if (!parsed.ok) {
        await publishDeadLetters(ctx.bus, dlqTopic, batch, [{ message, letter: deadLetterOf(message, otaStatusTopic.name, parsed.reason) }]);
        ctx.metrics.deadLettered.inc();
        log.warn({ partition: batch.partition, offset: message.offset, reason: parsed.reason }, 'OTA status report dead-lettered');
        continue;
      }
      const report = parsed.value;
      const outcome = await applyReport(ctx, report);
      if (!outcome.applied) {
        ctx.metrics.reportsIgnored.inc({ reason: outcome.reason });
        log.debug({ messageId: report.messageId, reason: outcome.reason }, 'OTA status report ignored');
        continue;
      }
      ctx.metrics.reportsApplied.inc({ status: report.status });
      await flushEffects(ctx, outcome.effects);
      if (outcome.rolloutId) opts.onApplied(outcome.rolloutId);
    }
  };

  return {
    async start() {
      if (starting) throw new Error('OTA status consumer already started');
      starting = (async () => {
        subscription = await ctx.bus.subscribe({ topic: otaStatusTopic.name, groupId, fromBeginning, handleBatch });
      })();
      await starting;
    },
    async stop() {
      await starting?.catch(() => undefined);
      await subscription?.stop();
    },
  };
}
