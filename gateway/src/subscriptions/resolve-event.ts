import {
  buildSchema,
  executeSync,
  printSchema,
  GraphQLError,
  responsePathAsArray,
  type DocumentNode,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLFieldResolver,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { notFound } from '@ump/core';

const plainSchemas = new WeakMap<GraphQLSchema, GraphQLSchema>();

/**
 * The same types without resolvers: the gateway's API schema carries its own field
 * resolvers (alias-aware defaults), which would bypass the field resolver given here.
 */
function plain(schema: GraphQLSchema): GraphQLSchema {
  let copy = plainSchemas.get(schema);
  if (!copy) {
    copy = buildSchema(printSchema(schema));
    plainSchemas.set(schema, copy);
  }
  return copy;
}

/** One event as a subscriber sees it: what the event carries plus what the graph answered. */
export interface EventView {
  /** GraphQL enum value of the event type. */
  type: string;
  /** Epoch ms. */
  at: number;
  entityId: string;
  /** Other scalar fields of the event type, straight from the event. */
  fields?: Record<string, unknown>;
  /** The entity query's result (keyed by the subscriber's aliases); null when nothing was fetched. */
  fetched: FormattedExecutionResult | null;
}

/**
 * Completes the subscriber's own document for one event, with graphql-js over data already
 * fetched: the subscription root and the event type's `type` / `at` come from the event, the
 * entity fields from `fetched` (read by response key, so aliases hold), and graphql-js does
 * the rest exactly as a normal execution would (skip/include, fragments, field order, enum
 * and scalar serialization, null propagation). Errors the graph reported come back at their
 * place: where the fetched value is null, the matching error is raised there; others are
 * appended with the path as the subscriber sees it. Nothing here waits on I/O.
 */
export function resolveEvent(opts: {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string;
  variables: Record<string, unknown>;
  entityField: string;
  entityName: string;
  event: EventView;
}): ExecutionResult {
  const { event, entityField } = opts;
  const schema = plain(opts.schema);
  const subscriptionType = schema.getSubscriptionType();
  const pending = [...(event.fetched?.errors ?? [])];
  let rootKey: string | number = '';
  const eventMarker = {};

  const toError = (error: GraphQLFormattedError) =>
    new GraphQLError(error.message, {
      path: error.path ? [rootKey, ...error.path] : undefined,
      extensions: error.extensions,
    });

  // The first graph error at or below `path` (the fetched result's own path), or a
  // request-wide one, taken so it is reported once.
  const errorAt = (path: ReadonlyArray<string | number>): GraphQLError | undefined => {
    const index = pending.findIndex(
      (error) => !error.path || path.every((segment, i) => error.path![i] === segment),
    );
    if (index < 0) return undefined;
    return toError(pending.splice(index, 1)[0]!);
  };

  const fieldResolver: GraphQLFieldResolver<unknown, unknown> = (source, _args, _context, info) => {
    if (info.parentType === subscriptionType) {
      rootKey = info.path.key;
      return eventMarker;
    }
    if (source === eventMarker) {
      if (info.fieldName === 'type') return event.type;
      if (info.fieldName === 'at') return new Date(event.at).toISOString();
      if (event.fields && info.fieldName in event.fields) return event.fields[info.fieldName];
      if (info.fieldName !== entityField) return null;
      const value = event.fetched?.data?.[info.path.key];
      if (value !== null && value !== undefined) return value;
      throw errorAt([info.path.key]) ?? notFound(`${opts.entityName} ${event.entityId}`);
    }
    const value = (source as Record<string, unknown>)[info.path.key as string];
    if (value !== null && value !== undefined) return value;
    const error = errorAt(responsePathAsArray(info.path).slice(1));
    if (error) throw error;
    return value;
  };

  const result = executeSync({
    schema,
    document: opts.document,
    operationName: opts.operationName,
    variableValues: opts.variables,
    rootValue: {},
    fieldResolver,
  });
  if (pending.length === 0) return result;
  return { ...result, errors: [...(result.errors ?? []), ...pending.map(toError)] };
}
