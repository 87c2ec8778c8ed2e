import type { ApolloServer, BaseContext } from '@apollo/server';
import type { IncomingMessage } from 'node:http';
import { executeApollo } from './apollo';
import { readJsonBody, type RouteHandler } from './server';

/** A node:http route serving an Apollo Server; `context` builds the per-request context. */
export function graphqlRoute<C extends BaseContext>(
  server: ApolloServer<C>,
  context: (req: IncomingMessage) => Promise<C>,
): RouteHandler {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = req.method === 'POST' ? await readJsonBody(req) : undefined;
    const result = await executeApollo(
      server,
      { method: req.method ?? 'GET', headers: req.headers, search: url.search.slice(1), body },
      () => context(req),
    );
    res.writeHead(result.status, result.headers);
    res.end(result.body);
  };
}
