import { createHttpServer, graphqlRoute, type EventBus, type Logger, type Metrics } from '@ump/core';
import type { createGateway } from './gateway';
import { createSubscriptionServer, gatewayExecutor } from './subscriptions';

/**
 * Starts the gateway's Apollo Server and serves it on `/graphql` (with `/healthz` and
 * `/metrics`), and, given the event bus, live subscriptions over graphql-ws on the same path.
 * Resolves with the bound port and a `close` that stops all of it.
 */
export async function serveGateway(
  gateway: ReturnType<typeof createGateway>,
  opts: {
    port: number;
    host: string;
    logger: Logger;
    metrics: Metrics;
    /** Where `alert.events.v1` / `ticket.events.v1` arrive; without it there are no subscriptions. */
    subscriptions?: { bus: EventBus; instanceId?: string; queueSize?: number; reauthenticateMs?: number };
  },
) {
  await gateway.server.start();
  const http = createHttpServer({
    routes: { '/graphql': graphqlRoute(gateway.server, gateway.context) },
    registry: opts.metrics.registry,
    logger: opts.logger,
  });
  const subscriptions = opts.subscriptions
    ? createSubscriptionServer({
        ...opts.subscriptions,
        httpServer: http.server,
        path: '/graphql',
        schema: gateway.schema,
        execute: gatewayExecutor(gateway.server),
        authenticate: gateway.authenticate,
        limits: gateway.limits,
        logger: opts.logger,
        metrics: opts.metrics,
      })
    : undefined;
  let port: number;
  try {
    await subscriptions?.start();
    port = await http.listen(opts.port, opts.host);
  } catch (error) {
    await subscriptions?.close();
    await gateway.server.stop();
    throw error;
  }
  return {
    port,
    async close() {
      await subscriptions?.close();
      await http.close();
      await gateway.server.stop();
    },
  };
}
