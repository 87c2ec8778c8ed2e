import {
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { ErrorCode, requireTenant, UmpError, type Caller } from '@ump/core';
import { fieldOfError } from '../error-fields';
import { operationComplexity } from '../limits';
import { buildEntityQuery, rootFieldOf, type EntityQuery } from './entity-query';
import type { EventSource } from './sources';

/** A subscribe message checked against the API schema, ready to run. */
export type PreparedOperation =
  | {
      kind: 'subscription';
      document: DocumentNode;
      operation: OperationDefinitionNode;
      variables: Record<string, unknown>;
      source: EventSource<any>;
      tenantId: string;
      matches: (event: unknown) => boolean;
      entityQuery: EntityQuery;
    }
  /** Queries and mutations sent over the socket run once through the gateway, as over HTTP. */
  | { kind: 'single'; document: DocumentNode; query: string; variables: Record<string, unknown>; operationName?: string };

const badInput = (message: string, field?: string) =>
  new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...(field ? { field } : {}) } });

/** GraphQL's own validation and coercion errors, as BAD_USER_INPUT naming the field when there is one. */
function asBadInput(errors: readonly GraphQLError[], document: DocumentNode): GraphQLError[] {
  return errors.map((error) => {
    const field = fieldOfError(error.toJSON(), document);
    return new GraphQLError(error.message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      extensions: { code: ErrorCode.BAD_USER_INPUT, ...(field ? { field } : {}) },
    });
  });
}

/**
 * Checks a subscribe payload the way the gateway checks an HTTP request: parse, validate
 * against the API schema, coerce variables, depth and cost limits; for a subscription also
 * the caller's tenant (platform admins belong to none: FORBIDDEN), the filter (applied to raw
 * events later) and the entity query each event will run. Returns errors to send back as
 * the subscription's `error` message, never throws for bad input.
 */
export function prepareOperation(opts: {
  schema: GraphQLSchema;
  payload: { query?: unknown; variables?: unknown; operationName?: unknown };
  identity: Caller;
  sources: readonly EventSource<any>[];
  limits: { maxDepth: number; maxCost: number };
}): PreparedOperation | GraphQLError[] {
  const { schema, payload } = opts;
  if (typeof payload.query !== 'string') return [badInput('query must be a string', 'query')];
  const variables = (payload.variables ?? {}) as Record<string, unknown>;
  if (typeof variables !== 'object' || Array.isArray(variables)) return [badInput('variables must be an object', 'variables')];
  const operationName = typeof payload.operationName === 'string' ? payload.operationName : undefined;

  let document: DocumentNode;
  try {
    document = parse(payload.query);
  } catch (error) {
    return [badInput(error instanceof Error ? error.message : String(error))];
  }
  const invalid = validate(schema, document);
  if (invalid.length > 0) return asBadInput(invalid, document);
  const operation = getOperationAST(document, operationName);
  if (!operation) return [badInput(operationName ? `Unknown operation "${operationName}"` : 'Name the operation to run (operationName)', 'operationName')];
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) return asBadInput(coerced.errors, document);

  const { depth, cost } = operationComplexity(document, operation, variables);
  if (depth > opts.limits.maxDepth) return [badInput(`Query depth ${depth} exceeds the limit of ${opts.limits.maxDepth}`)];
  if (cost > opts.limits.maxCost) return [badInput(`Query cost ${cost} exceeds the limit of ${opts.limits.maxCost}; select fewer fields`)];

  if (operation.operation !== 'subscription') return { kind: 'single', document, query: payload.query, variables, operationName };

  let tenantId: string;
  try {
    tenantId = requireTenant(opts.identity).tenantId;
  } catch (error) {
    return [error as UmpError];
  }
  const root = rootFieldOf(document, operation);
  const rootNode = root.nodes[0]!;
  const source = opts.sources.find((s) => s.rootField === rootNode.name.value);
  const fieldDef = schema.getSubscriptionType()?.getFields()[rootNode.name.value];
  if (!source || !fieldDef) return [badInput(`Subscription.${rootNode.name.value} is not served by this gateway`)];
  let matches: (event: unknown) => boolean;
  try {
    const args = getArgumentValues(fieldDef, rootNode, coerced.coerced);
    matches = source.compileFilter(source.filterOf ? source.filterOf(args) : args.filter);
  } catch (error) {
    if (error instanceof GraphQLError) return [error];
    throw error;
  }
  const entityQuery = buildEntityQuery({ schema, document, operation, entityField: source.entityField, variables });
  return { kind: 'subscription', document, operation, variables, source, tenantId, matches, entityQuery };
}
