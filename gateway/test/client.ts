import { z } from 'zod';

const response = z.object({
  data: z.record(z.string(), z.any()).nullish(),
  errors: z
    .array(z.object({ message: z.string(), extensions: z.record(z.string(), z.any()).optional(), path: z.array(z.any()).optional() }))
    .optional(),
});
export type GraphQLResponse = z.infer<typeof response>;

export interface Credentials {
  token?: string;
  apiKey?: string;
  headers?: Record<string, string>;
}

/** Posts one operation as a front end would; parses (never casts) the response. */
export async function gql(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  credentials: Credentials = {},
): Promise<GraphQLResponse & { status: number }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...credentials.headers };
  if (credentials.token) headers.authorization = `Bearer ${credentials.token}`;
  if (credentials.apiKey) headers['x-api-key'] = credentials.apiKey;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`Non-JSON response ${res.status}: ${text.slice(0, 200)}`);
  }
  return { ...response.parse(json), status: res.status };
}

/** The data of a response that must have succeeded; throws with the errors otherwise. */
export async function ok(url: string, query: string, variables?: Record<string, unknown>, credentials?: Credentials) {
  const result = await gql(url, query, variables, credentials);
  if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data;
}

/** The error codes of a response, e.g. ['NOT_FOUND']. */
export const codes = (result: GraphQLResponse) => (result.errors ?? []).map((e) => e.extensions?.code);
