import { z } from 'zod';

const responseSchema = z.object({
  data: z.record(z.string(), z.unknown()).nullish(),
  errors: z.array(z.object({ message: z.string(), extensions: z.looseObject({ code: z.string().optional() }).optional() })).optional(),
});

/** A GraphQL answer with errors; `codes` are their `extensions.code` values, e.g. ['CONFLICT']. */
export class GraphQLRequestError extends Error {
  override name = 'GraphQLRequestError';
  constructor(
    message: string,
    readonly codes: string[],
    readonly status: number,
  ) {
    super(message);
  }
}

/** How the simulator and the bench talk to the management API. */
export interface GraphQLClient {
  readonly url: string;
  /** The same client, sending `Authorization: Bearer <token>`. */
  as(token: string): GraphQLClient;
  /** Posts one operation; resolves with its data parsed by `schema`. */
  request<S extends z.ZodType>(query: string, variables: Record<string, unknown>, schema: S): Promise<z.infer<S>>;
}

/**
 * A minimal GraphQL client for the management API. `request` posts one operation and
 * returns its `data` parsed by `schema` (never cast); it throws a GraphQLRequestError when
 * the answer carries errors, and lets network errors from fetch through.
 */
export function createGraphQLClient(url: string, token?: string): GraphQLClient {
  return {
    url,
    as(newToken: string) {
      return createGraphQLClient(url, newToken);
    },
    async request<S extends z.ZodType>(query: string, variables: Record<string, unknown>, schema: S): Promise<z.infer<S>> {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new GraphQLRequestError(`${url} answered ${res.status} with non-JSON: ${text.slice(0, 200)}`, [], res.status);
      }
      const body = responseSchema.parse(json);
      if (body.errors?.length || !body.data) {
        const errors = body.errors ?? [];
        const message = errors.map((e) => e.message).join('; ') || `no data (HTTP ${res.status})`;
        throw new GraphQLRequestError(message, errors.map((e) => e.extensions?.code ?? 'UNKNOWN'), res.status);
      }
      return schema.parse(body.data);
    },
  };
}

/** True for errors a retry may fix: network failures, rate limits, overload. */
export function isTransient(error: unknown): boolean {
  if (error instanceof GraphQLRequestError) return error.codes.includes('RATE_LIMITED') || error.status >= 502;
  return error instanceof TypeError; // fetch's "fetch failed" (connection refused, reset…)
}
