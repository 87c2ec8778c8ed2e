import type { ApolloServer, BaseContext } from '@apollo/server';
import type { Fetcher } from '@apollo/utils.fetcher';
import { executeApollo } from '@ump/core';

/** A subgraph served inside this process. */
export interface LocalSubgraph<C extends BaseContext = BaseContext> {
  name: string;
  server: ApolloServer<C>;
  context: (headers: Record<string, string | string[] | undefined>) => Promise<C>;
}

/**
 * A fetcher that hands subgraph requests to an in-process Apollo Server instead of the
 * network: same headers, same signature check, same context building, no socket.
 */
export function inProcessFetcher<C extends BaseContext>(subgraph: LocalSubgraph<C>): Fetcher {
  return (async (url: string, init?: { method?: string; headers?: Record<string, string>; body?: string }) => {
    const headers = Object.fromEntries(Object.entries(init?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const result = await executeApollo(
      subgraph.server,
      {
        method: init?.method ?? 'POST',
        headers,
        search: new URL(url).search.slice(1),
        body: init?.body ? JSON.parse(init.body) : undefined,
      },
      () => subgraph.context(headers),
    );
    return new Response(result.body, { status: result.status, headers: result.headers });
  }) as unknown as Fetcher;
}
