import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';

/** A transport-free HTTP request, as Apollo Server's integration API takes it. */
export interface PlainRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  /** The query string without `?`. */
  search: string;
  /** Parsed JSON body (POST) or undefined (GET). */
  body: unknown;
}

export interface PlainResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Runs one HTTP GraphQL request through an Apollo Server without a socket: the node:http
 * handler and the in-process subgraph fetcher both go through here, so the embedded mode
 * exercises the same request pipeline (CSRF checks, context, plugins) as the network one.
 */
export async function executeApollo<C extends BaseContext>(
  server: ApolloServer<C>,
  request: PlainRequest,
  context: () => Promise<C>,
): Promise<PlainResponse> {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value);
  }
  const response = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: request.method.toUpperCase(), headers, search: request.search, body: request.body },
    context,
  });
  let body = '';
  if (response.body.kind === 'complete') {
    body = response.body.string;
  } else {
    // Incremental delivery (@defer) is not enabled; join chunks defensively.
    for await (const chunk of response.body.asyncIterator) body += chunk;
  }
  return { status: response.status ?? 200, headers: Object.fromEntries(response.headers), body };
}
