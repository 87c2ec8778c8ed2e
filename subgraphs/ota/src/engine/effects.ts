import { otaCommandsTopic, rolloutEventsTopic, updateWindowKey, type OtaCommand, type RolloutEvent } from '@ump/core';
import type { EngineContext } from './context';

/**
 * What a transaction decided to tell the world, held until it commits: commands, rollout
 * events and update windows. Never published from inside the transaction (it may roll back);
 * a crash after the commit and before the publish is repaired by re-publishing commands of
 * assignments still ASSIGNED (see republish.ts), and devices poll the database anyway.
 */
export interface Effects {
  commands: OtaCommand[];
  events: RolloutEvent[];
  /** Update windows to open (ttlMs) or close (null), per device. */
  windows: Map<string, { rolloutId: string; ttlMs: number } | null>;
  /** Rollouts worth evaluating once this is committed. */
  evaluate: Set<string>;
}

export const newEffects = (): Effects => ({ commands: [], events: [], windows: new Map(), evaluate: new Set() });

/**
 * Publishes commands, then events, then sets the update windows. A failure is logged and
 * counted, never thrown: the decision is committed and correct, and commands are re-sent.
 */
export async function flushEffects(ctx: EngineContext, effects: Effects): Promise<void> {
  const log = ctx.logger;
  for (const [deviceId, window] of effects.windows) {
    try {
      if (window) await ctx.cache.set(updateWindowKey(deviceId), window.rolloutId, { ttlMs: window.ttlMs });
      else await ctx.cache.del(updateWindowKey(deviceId));
    } catch (error) {
      log.warn({ err: error, deviceId }, 'could not set the update window');
    }
  }
  if (effects.commands.length > 0) {
    try {
      await ctx.bus.publish(otaCommandsTopic.name, effects.commands.map((c) => ({ key: c.deviceId, value: c })));
    } catch (error) {
      ctx.metrics.publishFailed.inc(effects.commands.length);
      log.error({ err: error, commands: effects.commands.map((c) => c.commandId) }, 'could not publish OTA commands');
    }
  }
  if (effects.events.length > 0) {
    try {
      await ctx.bus.publish(rolloutEventsTopic.name, effects.events.map((e) => ({ key: e.rolloutId, value: e })));
    } catch (error) {
      ctx.metrics.publishFailed.inc(effects.events.length);
      log.error({ err: error, events: effects.events.map((e) => e.eventId) }, 'could not publish rollout events');
    }
  }
}
