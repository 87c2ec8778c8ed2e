import type { FormattedExecutionResult } from 'graphql';
import { ErrorCode, type Caller, type EventBus, type BusSubscription, type Logger } from '@ump/core';
import type { EventSource } from './sources';
import type { SubscriptionMetrics } from './metrics';

/** Runs a GraphQL request through the gateway as `identity` (see gatewayExecutor). */
export type GraphExecutor = (
  request: { query: string; variables: Record<string, unknown>; operationName?: string },
  identity: Caller,
) => Promise<FormattedExecutionResult>;

/** A live subscription as the hub sees it. */
export interface Subscriber {
  source: EventSource<any>;
  tenantId: string;
  identity: Caller;
  /** The subscriber's filter, applied to the raw event before anything is fetched. */
  matches(event: unknown): boolean;
  /**
   * What to fetch per event, or null when the selection needs nothing from the graph.
   * Subscribers with equal `key` share one fetch per event.
   */
  fetch: { key: string; query: string; idVariable: string; variables: Record<string, unknown>; operationName?: string } | null;
  /**
   * Hands over one event and its fetched entity; must not throw. `shared` lives as long as
   * this event's delivery to this fetch group: members with the same document complete the
   * result once there instead of once each (a thousand dashboards, one completion).
   */
  deliver(event: unknown, fetched: FormattedExecutionResult | null, shared: Map<string, unknown>): void;
}

// Events whose fetches may run at the same time: enough to hide a subgraph round trip,
// few enough that a burst does not flood the subgraphs.
const FETCH_WINDOW = 16;

const failed: FormattedExecutionResult = { errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL } }] };

/**
 * The subscribers of one gateway instance and the bus consumers that feed them: one consumer
 * per topic, in a consumer group of its own (`gateway-<instanceId>`), so every instance sees
 * every event and fans it out to its own sockets. Per event: tenant first, then each
 * subscriber's filter, then one fetch per distinct selection (same tenant, role, query and
 * variables), shared by every subscriber that has it.
 */
export function createHub(deps: {
  bus: EventBus;
  sources: readonly EventSource<any>[];
  execute: GraphExecutor;
  instanceId: string;
  logger: Logger;
  metrics: SubscriptionMetrics;
}) {
  const subscribers = new Map<EventSource<any>, Set<Subscriber>>(deps.sources.map((s) => [s, new Set()]));
  const consumers: BusSubscription[] = [];

  async function fetchOnce(subscriber: Subscriber, entityId: string): Promise<FormattedExecutionResult | null> {
    const fetch = subscriber.fetch;
    if (!fetch) return null;
    deps.metrics.fetches.inc({ topic: subscriber.source.topic.name });
    try {
      return await deps.execute(
        { query: fetch.query, variables: { ...fetch.variables, [fetch.idVariable]: entityId }, operationName: fetch.operationName },
        subscriber.identity,
      );
    } catch (error) {
      deps.logger.error({ err: error, topic: subscriber.source.topic.name }, 'subscription fetch failed');
      return failed;
    }
  }

  /** Which subscribers get `event`, grouped by selection, each group's fetch already started. */
  function plan(source: EventSource<any>, event: unknown) {
    const tenantId = source.tenantOf(event);
    const groups = new Map<string, Subscriber[]>();
    for (const subscriber of subscribers.get(source) ?? []) {
      // Tenant before anything else: another tenant's event never reaches a filter.
      if (subscriber.tenantId !== tenantId || !subscriber.matches(event)) continue;
      const key = subscriber.fetch?.key ?? '';
      const group = groups.get(key);
      if (group) group.push(subscriber);
      else groups.set(key, [subscriber]);
    }
    const entityId = source.entityIdOf(event);
    return [...groups.values()].map((group) => ({ group, fetched: fetchOnce(group[0]!, entityId) }));
  }

  /**
   * Fans events out in order. The fetches of up to `FETCH_WINDOW` consecutive events run at
   * once, but each subscriber still receives its events in the order they were consumed.
   */
  async function dispatch(source: EventSource<any>, events: unknown[]): Promise<void> {
    for (let start = 0; start < events.length; start += FETCH_WINDOW) {
      const window = events.slice(start, start + FETCH_WINDOW).map((event) => ({ event, groups: plan(source, event) }));
      for (const { event, groups } of window) {
        for (const { group, fetched } of groups) {
          const result = await fetched;
          const shared = new Map<string, unknown>();
          for (const subscriber of group) {
            // It may have left while the fetch ran.
            if (subscribers.get(source)?.has(subscriber)) subscriber.deliver(event, result, shared);
          }
        }
      }
    }
  }

  return {
    /** Registers a subscriber; returns its removal (idempotent). */
    add(subscriber: Subscriber): () => void {
      const set = subscribers.get(subscriber.source);
      if (!set) throw new Error(`no consumer for ${subscriber.source.topic.name}`);
      set.add(subscriber);
      deps.metrics.active.inc({ topic: subscriber.source.topic.name });
      return () => {
        if (set.delete(subscriber)) deps.metrics.active.dec({ topic: subscriber.source.topic.name });
      };
    },

    /** Joins the bus on every source's topic; resolves once the consumers are members. */
    async start(): Promise<void> {
      for (const source of deps.sources) {
        const topic = source.topic.name;
        consumers.push(
          await deps.bus.subscribe({
            topic,
            groupId: `gateway-${deps.instanceId}`,
            handleBatch: async (batch) => {
              const events: unknown[] = [];
              for (const message of batch.messages) {
                const parsed = source.topic.parse(message.value);
                if (parsed.ok) {
                  events.push(parsed.value);
                  continue;
                }
                // Dead-lettering is the producer's consumers' job: each gateway instance has
                // its own group, so N instances would write N copies of the same letter.
                deps.metrics.invalid.inc({ topic });
                deps.logger.warn({ topic, offset: message.offset, reason: parsed.reason }, 'invalid event skipped');
              }
              deps.metrics.events.inc({ topic }, events.length);
              await dispatch(source, events);
            },
          }),
        );
      }
    },

    /** Stops the consumers (waiting for a batch in progress). Idempotent. */
    async stop(): Promise<void> {
      const running = consumers.splice(0);
      await Promise.all(running.map((consumer) => consumer.stop()));
    },

    /** Delivers events as if they had been consumed (for tests of the fan-out alone). */
    dispatch,
  };
}
