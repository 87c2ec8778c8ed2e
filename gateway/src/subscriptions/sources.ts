import { z } from 'zod';
import {
  alertEventsTopic,
  alertEventTypes,
  badInput,
  severities,
  severityRank,
  ticketEventsTopic,
  rolloutEventsTopic,
  ticketEventTypes,
  ticketPriorities,
  type AlertEvent,
  type RolloutEvent,
  type TicketEvent,
  type TopicContract,
} from '@ump/core';

/**
 * One kind of live event the gateway serves: which topic it comes from, which Subscription
 * field exposes it, which field of the event type holds the entity (also the Query field
 * that fetches it by id), and how a subscriber's `filter` argument applies to a raw event.
 */
export interface EventSource<E = unknown> {
  topic: TopicContract<E>;
  /** `Subscription.<rootField>(filter: …)`. */
  rootField: string;
  /** `<EventType>.<entityField>` and `Query.<entityField>(id: ID!)`. */
  entityField: string;
  tenantOf(event: E): string;
  entityIdOf(event: E): string;
  /** The event's type as the GraphQL enum value (RAISED, OPENED…). */
  typeOf(event: E): string;
  /** Epoch ms of the event. */
  atOf(event: E): number;
  /**
   * Turns the coerced `filter` argument (absent or null: everything) into a predicate on raw
   * events. Throws BAD_USER_INPUT naming `filter.<field>` (or the argument itself, see filterOf) for a value that can never match.
   */
  compileFilter(filter: unknown): (event: E) => boolean;
  /** What of the root field's arguments is the filter: `filter` unless said otherwise. */
  filterOf?(args: Record<string, unknown>): unknown;
  /** Scalar fields of the event type taken from the event itself (besides `type` and `at`). */
  fieldsOf?(event: E): Record<string, unknown>;
}

const upper = <T extends string>(values: readonly T[]) => values.map((v) => v.toUpperCase()) as [Uppercase<T>, ...Uppercase<T>[]];
const id = z.string().uuid('must be the id of an existing object (a UUID)');
const types = <T extends string>(values: readonly T[]) =>
  z.array(z.enum(upper(values))).min(1, 'give at least one type, or leave the field out').nullish();

/**
 * Parses a filter with `schema`; issues become BAD_USER_INPUT on `filter.<path>`. Unknown
 * fields are refused too: a filter field added to the schema but not applied here would
 * silently let everything through.
 */
function parseFilter<S extends z.ZodType>(schema: S, filter: unknown, under: string[] = ['filter']): z.infer<S> | undefined {
  if (filter === undefined || filter === null) return undefined;
  const result = schema.safeParse(filter);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const path = [...under, ...issue.path.map(String), ...keys.slice(0, 1)].join('.');
  const message = keys.length ? 'this gateway cannot filter on this field yet' : issue.message;
  throw badInput(path, message);
}

const alertFilterSchema = z
  .object({
    severityAtLeast: z.enum(severities).nullish(),
    deviceId: id.nullish(),
    ruleId: id.nullish(),
    types: types(alertEventTypes),
  })
  .strict();

export const alertEventSource: EventSource<AlertEvent> = {
  topic: alertEventsTopic,
  rootField: 'alertEvents',
  entityField: 'alert',
  tenantOf: (event) => event.tenantId,
  entityIdOf: (event) => event.alertId,
  typeOf: (event) => event.type.toUpperCase(),
  atOf: (event) => event.at,
  compileFilter(raw) {
    const filter = parseFilter(alertFilterSchema, raw);
    if (!filter) return () => true;
    const minimum = filter.severityAtLeast ? severityRank(filter.severityAtLeast) : 0;
    const wanted = filter.types ? new Set<string>(filter.types) : undefined;
    return (event) =>
      severityRank(event.severity) >= minimum &&
      (!filter.deviceId || event.deviceId === filter.deviceId) &&
      (!filter.ruleId || event.ruleId === filter.ruleId) &&
      (!wanted || wanted.has(event.type.toUpperCase()));
  },
};

const ticketFilterSchema = z
  .object({
    priority: z.enum(ticketPriorities).nullish(),
    assigneeId: id.nullish(),
    types: types(ticketEventTypes),
  })
  .strict();

export const ticketEventSource: EventSource<TicketEvent> = {
  topic: ticketEventsTopic,
  rootField: 'ticketEvents',
  entityField: 'ticket',
  tenantOf: (event) => event.tenantId,
  entityIdOf: (event) => event.ticketId,
  typeOf: (event) => event.type.toUpperCase(),
  atOf: (event) => event.at,
  compileFilter(raw) {
    const filter = parseFilter(ticketFilterSchema, raw);
    if (!filter) return () => true;
    const wanted = filter.types ? new Set<string>(filter.types) : undefined;
    return (event) =>
      (!filter.priority || event.priority === filter.priority) &&
      (!filter.assigneeId || event.assigneeId === filter.assigneeId) &&
      (!wanted || wanted.has(event.type.toUpperCase()));
  },
};

const rolloutFilterSchema = z.object({ rolloutId: id }).strict();

/** `rolloutEvents(rolloutId)`: one rollout's progress; the rollout id is the filter. */
export const rolloutEventSource: EventSource<RolloutEvent> = {
  topic: rolloutEventsTopic,
  rootField: 'rolloutEvents',
  entityField: 'rollout',
  tenantOf: (event) => event.tenantId,
  entityIdOf: (event) => event.rolloutId,
  typeOf: (event) => event.type.toUpperCase(),
  atOf: (event) => event.at,
  filterOf: (args) => ({ rolloutId: args.rolloutId }),
  fieldsOf: (event) => ({
    stageIndex: event.stageIndex,
    deviceId: event.deviceId ?? null,
    deviceStatus: event.deviceStatus ?? null,
    gate: event.gate ?? null,
    passed: event.passed ?? null,
  }),
  compileFilter(raw) {
    // The filter is the root field's own argument, so an error names `rolloutId` itself.
    const filter = parseFilter(rolloutFilterSchema, raw, []);
    if (!filter) return () => true;
    return (event) => event.rolloutId === filter.rolloutId;
  },
};

/** Every live event kind the gateway serves. */
export const eventSources: readonly EventSource<any>[] = [alertEventSource, ticketEventSource, rolloutEventSource];
