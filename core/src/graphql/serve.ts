import type { ApolloServer, BaseContext } from '@apollo/server';
import type { Logger } from 'pino';
import { createHttpServer, graphqlRoute } from '../http';
import type { Metrics } from '../metrics';

/** A subgraph as its factory returns it. */
export interface SubgraphHandle<C extends BaseContext> {
  name: string;
  server: ApolloServer<C>;
  context: (headers: Record<string, string | string[] | undefined>) => Promise<C>;
}

/**
 * Starts a subgraph's Apollo Server and serves it on `/graphql` (with `/healthz` and
 * `/metrics`). Resolves with the bound port and a `close` that stops both.
 */
export async function serveSubgraph<C extends BaseContext>(
  subgraph: SubgraphHandle<C>,
  opts: { port: number; host: string; logger: Logger; metrics: Metrics },
) {
  await subgraph.server.start();
  const http = createHttpServer({
    routes: { '/graphql': graphqlRoute(subgraph.server, (req) => subgraph.context(req.headers)) },
    registry: opts.metrics.registry,
    logger: opts.logger,
  });
  const port = await http.listen(opts.port, opts.host);
  opts.logger.info({ port }, `${subgraph.name} subgraph listening on /graphql`);
  return {
    port,
    async close() {
      await http.close();
      await subgraph.server.stop();
    },
  };
}
