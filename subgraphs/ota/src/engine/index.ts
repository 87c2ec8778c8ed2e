import type { RolloutEngine, RolloutEngineDeps } from './types';
import { createRolloutActions } from './actions';
import { createStatusConsumer } from './consumer';
import type { EngineContext } from './context';
import { createEngineMetrics } from './metrics';
import { evaluateRollout } from './pass';
import { republishWaiting } from './republish';
import { createEvaluationQueue } from './queue';

export type { ActionInput, RolloutActions, RolloutEngine, RolloutEngineDeps } from './types';
export { createRolloutActions } from './actions';

/** Options on top of {@link RolloutEngineDeps}, all optional. */
export interface RolloutEngineOptions {
  /** Consumer group of ota.status.v1; default 'ota-engine'. */
  groupId?: string;
  /** Commands of assignments still ASSIGNED this long are re-published; default 60,000 ms. */
  republishAfterMs?: number;
}

/**
 * The OTA rollout engine: consumes device reports (ota.status.v1), evaluates RUNNING
 * rollouts every `tickMs` (default 5 s) and right after a report of one of their devices,
 * and runs the operator actions. Every decision is made from the database inside a
 * transaction holding the rollout's advisory lock, so engines may run side by side and a
 * restarted one carries on where the last stopped. `start()` subscribes, re-publishes the
 * commands of assignments still waiting and starts the tick; `actions` are the operator's.
 * A failing evaluation is logged and retried at the next tick; it never stops the loop.
 */
export function createRolloutEngine(deps: RolloutEngineDeps & RolloutEngineOptions): RolloutEngine {
  const { tickMs = 5_000, republishAfterMs = 60_000 } = deps;
  const ctx: EngineContext = {
    prisma: deps.prisma,
    bus: deps.bus,
    cache: deps.cache,
    kpi: deps.kpi,
    logger: deps.logger.child({ component: 'ota-engine' }),
    metrics: createEngineMetrics(deps.metrics),
    now: deps.now ?? Date.now,
  };
  // Another evaluation holding the rollout's turn may have read the rollout, or the clock,
  // before what this request is about (a gate's observation window ending, say): so come
  // back once it is done instead of dropping the request until the next tick.
  const evaluate = async (rolloutId: string) => {
    for (let attempt = 1; attempt <= 50; attempt++) {
      if ((await evaluateRollout(ctx, rolloutId)) !== 'locked') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const queue = createEvaluationQueue(evaluate, (error, rolloutId) => ctx.logger.error({ err: error, rolloutId }, 'rollout evaluation failed'));
  const actions = createRolloutActions(ctx, (id) => queue.request(id));
  const consumer = createStatusConsumer(ctx, { groupId: deps.groupId, onApplied: (id) => queue.request(id) });
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let lastRepublish = 0;
  let ticking: Promise<void> = Promise.resolve();

  const tick = async () => {
    const rollouts = await ctx.prisma.rollout.findMany({ where: { state: 'RUNNING' }, select: { id: true }, orderBy: { id: 'asc' } });
    for (const { id } of rollouts) await queue.request(id);
    if (ctx.now() - lastRepublish >= republishAfterMs) {
      lastRepublish = ctx.now();
      await republishWaiting(ctx, ctx.now() - republishAfterMs);
    }
  };
  const schedule = () => {
    if (!running) return;
    timer = setTimeout(() => {
      ticking = tick()
        .catch((error: unknown) => ctx.logger.error({ err: error }, 'rollout tick failed'))
        .finally(schedule);
    }, tickMs);
    timer.unref();
  };

  async function start(): Promise<void> {
    if (running) throw new Error('rollout engine already started');
    running = true;
    await consumer.start();
    // Whatever a previous instance committed but may not have published.
    lastRepublish = ctx.now();
    await republishWaiting(ctx, ctx.now());
    schedule();
  }

  return {
    start,
    actions,
    async stop() {
      running = false;
      clearTimeout(timer);
      await consumer.stop();
      await ticking.catch(() => undefined);
      await queue.idle();
    },
    evaluate,
  };
}
