import { createHttpServer, graphqlRoute, type Logger, type Metrics } from '@ump/core';
import type { createGateway } from './gateway';

/**
 * Starts the gateway's Apollo Server and serves it on `/graphql` (with `/healthz` and
 * `/metrics`). Resolves with the bound port and a `close` that stops both.
 */
export async function serveGateway(
  gateway: ReturnType<typeof createGateway>,
  opts: { port: number; host: string; logger: Logger; metrics: Metrics },
) {
  await gateway.server.start();
  const http = createHttpServer({
    routes: { '/graphql': graphqlRoute(gateway.server, gateway.context) },
    registry: opts.metrics.registry,
    logger: opts.logger,
  });
  const port = await http.listen(opts.port, opts.host);
  return {
    port,
    async close() {
      await http.close();
      await gateway.server.stop();
    },
  };
}
