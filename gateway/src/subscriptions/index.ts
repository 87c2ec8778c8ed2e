/**
 * Live federated subscriptions at the gateway, over graphql-ws on the HTTP server's own
 * `/graphql` path. `@apollo/gateway` does not execute subscriptions, so this is
 * event-driven federated execution:
 *
 * 1. Connect. `connection_init` carries `{ authorization: 'Bearer <jwt | api key>' }` or
 *    `{ 'x-api-key': … }`, checked by the gateway's own authenticator (same rules as HTTP).
 *    No credentials: closed 4401; bad, expired or revoked ones: closed 4403. Credentials are
 *    checked again every `reauthenticateMs` (default 60 s), so an expired token or a revoked
 *    API key also ends an open socket (4403).
 * 2. Subscribe. The document is parsed and validated against the gateway's API schema,
 *    variables coerced and depth / cost limits applied, as for HTTP; errors are sent as the
 *    subscription's `error` message with BAD_USER_INPUT and `extensions.field`. The caller
 *    must belong to a tenant (platform admins have none: FORBIDDEN; they are not meant to
 *    watch every tenant's alerts). The `filter` argument becomes a predicate on raw events
 *    (a value that can never match is BAD_USER_INPUT on `filter.<field>`). The selection
 *    under the entity (`alert`, `ticket`) becomes a query, once per subscription:
 *    `query($id: ID!) { <alias>: alert(id: $id) { <their selection> } }` with their
 *    fragments, aliases, directives and variables (see entity-query.ts).
 * 3. Events. One bus consumer per topic per gateway instance, in a group of its own
 *    (`gateway-<instanceId>`), so every instance sees every event (fan-out across instances).
 *    Per event: the tenant check first (`event.tenantId` must be the subscriber's), then the
 *    filter, both on the raw event before any fetch. Matching subscribers are grouped by
 *    (tenant, role, entity query, its variables); each group's query runs once through the
 *    gateway in-process, with the identity of one of its members (executor.ts: same
 *    executeOperation path, plugins, planner and signed subgraph calls as HTTP); the fetches
 *    of up to 16 consecutive events overlap, delivery keeps each subscriber's order. Each
 *    subscriber's own document is then completed over that data with `type` and `at` taken
 *    from the event (resolve-event.ts). The entity is read when the event is handled, so it
 *    shows the entity's state at that moment, which may be newer than the event.
 * 4. Back-pressure. Each subscription has a queue of at most `queueSize` (default 100)
 *    events; graphql-ws reads the next one only after the socket took the previous one. A
 *    client that falls that far behind is closed with 4008 "subscriber too slow" (4429 is
 *    graphql-ws's own) and all its subscriptions are dropped, instead of growing memory; it
 *    may reconnect and resubscribe.
 * Queries and mutations sent over the socket run once through the same executor.
 */
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import { GraphQLError, print, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { CloseCode, type Context } from 'graphql-ws';
import type { useServer as UseServer } from 'graphql-ws/dist/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { createErrorFormatter, ErrorCode, type Caller, type EventBus, type Logger, type Metrics } from '@ump/core';
import type { Authenticator } from '../auth';
import { BoundedQueue } from './bounded-queue';
import { createHub, type GraphExecutor } from './hub';
import { subscriptionMetrics } from './metrics';
import { prepareOperation, type PreparedOperation } from './operation';
import { resolveEvent } from './resolve-event';
import { eventSources, type EventSource } from './sources';

// The TypeScript setting here (node10 resolution) cannot see package subpath exports; Node
// resolves 'graphql-ws/use/ws' at run time, and the types come from the file it maps to.
const { useServer } = require('graphql-ws/use/ws') as { useServer: typeof UseServer };

export { gatewayExecutor } from './executor';
export type { GraphExecutor } from './hub';

/** Close code for a client whose subscription queue overflowed (graphql-ws uses 4400–4499 and 4500). */
export const SUBSCRIBER_TOO_SLOW = 4008;

export interface SubscriptionServerOptions {
  /** The gateway's HTTP server; the WebSocket upgrade is served on its `path`. */
  httpServer: HttpServer;
  /** Default `/graphql`, the HTTP endpoint's own path. */
  path?: string;
  /** The gateway's current API schema (undefined until the supergraph is loaded). */
  schema: () => GraphQLSchema | undefined;
  execute: GraphExecutor;
  authenticate: Authenticator;
  bus: EventBus;
  logger: Logger;
  metrics: Metrics;
  limits: { maxDepth: number; maxCost: number };
  /** Names this instance's consumer group; default a random UUID (fresh group per start). */
  instanceId?: string;
  /** Events held per subscription before the client counts as too slow; default 100. */
  queueSize?: number;
  /** How often an open connection's credentials are checked again; default 60 s. */
  reauthenticateMs?: number;
  /** WebSocket ping interval (dead peers are dropped after one missed pong); default 12 s. */
  keepAliveMs?: number;
  sources?: readonly EventSource<any>[];
}

interface Connection {
  identity: Caller;
  close(code: number, reason: string): void;
  /** Ends each live subscription of this connection. */
  subscriptions: Set<() => void>;
  recheck?: NodeJS.Timeout;
}

interface OperationContext {
  connection: Connection;
  prepared: PreparedOperation;
}

// WebSocket close reasons are limited to 123 bytes.
const closeReason = (text: string) => (Buffer.byteLength(text) <= 123 ? text : `${Buffer.from(text).subarray(0, 120).toString()}…`);

/** Keys sorted, so equal variables give equal strings whatever order the client wrote them in. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The graphql-ws server and its bus consumers (see the top of this file). `start()` joins
 * the bus (resolves once the consumers are members); `close()` stops the consumers, closes
 * every socket (1001, terminated after 1 s if the peer does not answer) and detaches from
 * the HTTP server.
 */
export function createSubscriptionServer(opts: SubscriptionServerOptions) {
  const { logger } = opts;
  const sources = opts.sources ?? eventSources;
  const queueSize = opts.queueSize ?? 100;
  const metrics = subscriptionMetrics(opts.metrics.registry);
  const formatError = createErrorFormatter((error) => logger.error({ err: error }, 'unexpected subscription error'));
  const hub = createHub({
    bus: opts.bus,
    sources,
    execute: opts.execute,
    instanceId: opts.instanceId ?? randomUUID(),
    logger,
    metrics,
  });
  const connections = new WeakMap<Context, Connection>();

  // Errors as the HTTP endpoint would show them: UMP codes kept, everything else masked.
  const masked = (result: ExecutionResult): ExecutionResult => {
    if (!result.errors?.length) return result;
    const errors = result.errors.map((error) => {
      const formatted = formatError(error.toJSON(), error);
      return new GraphQLError(formatted.message, {
        nodes: error.nodes,
        source: error.source,
        positions: error.positions,
        path: formatted.path,
        extensions: formatted.extensions,
      });
    });
    return { ...result, errors };
  };
  const fromFormatted = (result: Awaited<ReturnType<GraphExecutor>>): ExecutionResult => ({
    ...(result.data !== undefined ? { data: result.data } : {}),
    ...(result.errors ? { errors: result.errors.map((e) => new GraphQLError(e.message, { path: e.path, extensions: e.extensions })) } : {}),
  });

  async function authenticateParams(params: Readonly<Record<string, unknown>> | undefined) {
    const header = (name: string) => {
      const value = params?.[name] ?? params?.[name.replace(/(^|-)\w/g, (c) => c.toUpperCase())];
      return typeof value === 'string' ? value : undefined;
    };
    const headers = { authorization: header('authorization'), 'x-api-key': header('x-api-key') };
    if (!headers.authorization && !headers['x-api-key']) return { headers, identity: undefined };
    const identity = await opts.authenticate(headers);
    return { headers, identity: identity.kind === 'user' || identity.kind === 'apiKey' ? identity : undefined };
  }

  /** Closes with 4403 when the credentials fail, 4500 when checking them failed. */
  function refuse(socket: WebSocket, error: unknown) {
    if (error instanceof GraphQLError && error.extensions.code === ErrorCode.UNAUTHENTICATED) {
      socket.close(CloseCode.Forbidden, closeReason(`Forbidden: ${error.message}`));
    } else {
      logger.error({ err: error }, 'subscription authentication failed');
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    }
  }

  function subscribe(context: OperationContext): AsyncGenerator<ExecutionResult> {
    const { connection, prepared } = context;
    if (prepared.kind !== 'subscription') throw new Error('not a subscription');
    const { source, entityQuery, document, variables } = prepared;
    const schema = opts.schema()!;
    const completionKey = stableJson([print(document), prepared.operation.name?.value ?? null, variables]);
    const queue = new BoundedQueue<() => ExecutionResult>(queueSize);
    const topic = source.topic.name;
    let removeFromHub = () => {};
    const end = () => {
      removeFromHub();
      queue.close();
      connection.subscriptions.delete(end);
    };
    connection.subscriptions.add(end);
    removeFromHub = hub.add({
      source,
      tenantId: prepared.tenantId,
      identity: connection.identity,
      matches: prepared.matches,
      fetch: entityQuery.query
        ? {
            key: stableJson([prepared.tenantId, connection.identity.role, entityQuery.query, entityQuery.variables]),
            query: entityQuery.query,
            idVariable: entityQuery.idVariable,
            variables: entityQuery.variables,
            operationName: entityQuery.operationName,
          }
        : null,
      deliver(event, fetched, shared) {
        const view = { type: source.typeOf(event), at: source.atOf(event), entityId: source.entityIdOf(event), fields: source.fieldsOf?.(event), fetched };
        const complete = () =>
          masked(
            resolveEvent({
              schema,
              document,
              operationName: prepared.operation.name?.value,
              variables,
              entityField: source.entityField,
              entityName: source.entityField.charAt(0).toUpperCase() + source.entityField.slice(1),
              event: view,
            }),
          );
        // Completed when the socket is ready for it, once per distinct document in the group.
        const accepted = queue.push(() => {
          let result = shared.get(completionKey) as ExecutionResult | undefined;
          if (!result) shared.set(completionKey, (result = complete()));
          return result;
        });
        if (accepted) {
          metrics.deliveries.inc({ topic });
          return;
        }
        // Too far behind: drop every subscription of this client and close it, rather than
        // hold ever more events for a socket that does not read them.
        metrics.slow.inc({ topic });
        logger.warn({ topic, queueSize }, 'subscriber too slow: closing its connection');
        for (const endOne of [...connection.subscriptions]) endOne();
        connection.close(SUBSCRIBER_TOO_SLOW, closeReason(`subscriber too slow: more than ${queueSize} events waiting`));
      },
    });
    const iterator: AsyncGenerator<ExecutionResult> = {
      async next() {
        const item = await queue.next();
        if (item.done) {
          end();
          return { value: undefined, done: true };
        }
        return { value: item.value(), done: false };
      },
      async return() {
        end();
        return { value: undefined, done: true };
      },
      async throw(error: unknown) {
        end();
        throw error;
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
      async [Symbol.asyncDispose]() {
        end();
      },
    };
    return iterator;
  }

  const wss = new WebSocketServer({ server: opts.httpServer, path: opts.path ?? '/graphql' });
  const server = useServer<Record<string, unknown>>(
    {
      async onConnect(ctx) {
        const socket = ctx.extra.socket;
        let established: Awaited<ReturnType<typeof authenticateParams>>;
        try {
          established = await authenticateParams(ctx.connectionParams);
        } catch (error) {
          refuse(socket, error);
          return false;
        }
        const { identity, headers } = established;
        if (!identity) {
          socket.close(CloseCode.Unauthorized, 'Unauthorized: send { authorization: "Bearer <token or API key>" } in connection_init');
          return false;
        }
        const connection: Connection = {
          identity,
          close: (code, reason) => socket.close(code, reason),
          subscriptions: new Set(),
        };
        connection.recheck = setInterval(() => {
          opts.authenticate(headers).then(
            (again) => {
              if (again.kind !== 'user' && again.kind !== 'apiKey') socket.close(CloseCode.Forbidden, 'Forbidden: credentials no longer valid');
            },
            (error: unknown) => refuse(socket, error),
          );
        }, opts.reauthenticateMs ?? 60_000);
        connection.recheck.unref();
        connections.set(ctx, connection);
        return true;
      },
      onClose(ctx) {
        const connection = connections.get(ctx);
        if (!connection) return;
        clearInterval(connection.recheck);
        for (const endOne of [...connection.subscriptions]) endOne();
      },
      onSubscribe(ctx, _id, payload) {
        const connection = connections.get(ctx);
        const schema = opts.schema();
        if (!connection) return [new GraphQLError('Unauthorized', { extensions: { code: ErrorCode.UNAUTHENTICATED } })];
        if (!schema) return [new GraphQLError('The gateway is still loading its schema; retry', { extensions: { code: ErrorCode.INTERNAL } })];
        const prepared = prepareOperation({ schema, payload, identity: connection.identity, sources, limits: opts.limits });
        if (Array.isArray(prepared)) return prepared;
        const contextValue: OperationContext = { connection, prepared };
        return {
          schema,
          document: prepared.document,
          operationName: typeof payload.operationName === 'string' ? payload.operationName : undefined,
          variableValues: prepared.variables,
          contextValue,
        };
      },
      subscribe: (args) => subscribe(args.contextValue as OperationContext),
      async execute(args) {
        const { connection, prepared } = args.contextValue as OperationContext;
        if (prepared.kind !== 'single') throw new Error('not a query or mutation');
        return fromFormatted(
          await opts.execute({ query: prepared.query, variables: prepared.variables, operationName: prepared.operationName }, connection.identity),
        );
      },
      // Internal errors close sockets with a generic reason, never the error's message.
      isProd: true,
    },
    wss,
    opts.keepAliveMs ?? 12_000,
  );

  return {
    /** Joins the bus; call once, before or after the HTTP server listens. */
    start: () => hub.start(),
    async close(): Promise<void> {
      await hub.stop();
      for (const client of wss.clients) client.close(1001, 'Going away');
      const force = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
      }, 1_000);
      try {
        await server.dispose();
      } finally {
        clearTimeout(force);
      }
    },
    /** The fan-out, for tests that hand events in directly. */
    hub,
  };
}
export type SubscriptionServer = ReturnType<typeof createSubscriptionServer>;
