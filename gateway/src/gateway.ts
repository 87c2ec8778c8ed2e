import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import type { Fetcher } from '@apollo/utils.fetcher';
import type { IncomingMessage } from 'node:http';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { z } from 'zod';
import {
  createErrorFormatter,
  ErrorCode,
  IDENTITY_HEADER,
  roles,
  signIdentity,
  metricsPlugin,
  type Cache,
  type Identity,
  type Logger,
  type Metrics,
} from '@ump/core';
import { createAuthenticator, type ApiKeyIdentity } from './auth';
import { SignedDataSource, type GatewayContext } from './data-source';
import { inProcessFetcher, type LocalSubgraph } from './in-process';
import { errorFieldsPlugin } from './error-fields';
import { limitsPlugin } from './limits';

export interface GatewayOptions {
  supergraphSdl: string;
  /** Subgraphs served in this process (embedded mode); others are reached over HTTP. */
  localSubgraphs?: LocalSubgraph<any>[];
  /** Overrides of the supergraph's subgraph URLs, by subgraph name. */
  subgraphUrls?: Record<string, string | undefined>;
  jwtSecret: string;
  internalSecret: string;
  cache: Cache;
  logger: Logger;
  metrics: Metrics;
  limits: { maxDepth: number; maxCost: number };
}

const apiKeyResponse = z.object({
  data: z.object({ authenticateApiKey: z.object({ apiKeyId: z.string(), tenantId: z.string(), role: z.enum(roles) }).nullable() }).nullish(),
  errors: z.array(z.object({ message: z.string() })).optional(),
});

const apiKeyQuery = 'query ResolveApiKey($key: String!) { authenticateApiKey(key: $key) { apiKeyId tenantId role } }';

/**
 * The Apollo Gateway over the committed supergraph, with authentication, identity signing,
 * limits, error masking and metrics. Returns the server (not yet started) and the context
 * builder for HTTP requests.
 */
export function createGateway(opts: GatewayOptions) {
  const local = new Map((opts.localSubgraphs ?? []).map((s) => [s.name, s]));
  // How to reach each subgraph, for the gateway's own calls (the API-key lookup).
  const endpoints = new Map<string, { url: string; fetcher: Fetcher }>();
  const gateway = new ApolloGateway({
    supergraphSdl: opts.supergraphSdl,
    buildService({ name, url }) {
      const subgraph = local.get(name);
      const target = opts.subgraphUrls?.[name] ?? url ?? `http://${name}.invalid/graphql`;
      const fetcher = subgraph ? inProcessFetcher(subgraph) : undefined;
      endpoints.set(name, { url: target, fetcher: fetcher ?? (fetch as unknown as Fetcher) });
      return new SignedDataSource(target, opts.internalSecret, fetcher);
    },
  });

  async function lookupApiKey(key: string): Promise<ApiKeyIdentity | null> {
    const tenant = endpoints.get('tenant');
    if (!tenant) throw new Error('The tenant subgraph is not part of the supergraph');
    const service: Identity = { kind: 'service', service: 'gateway' };
    const response = await tenant.fetcher(tenant.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: await signIdentity(opts.internalSecret, service) },
      body: JSON.stringify({ query: apiKeyQuery, variables: { key } }),
    });
    const body = apiKeyResponse.parse(await response.json());
    if (body.errors?.length) throw new Error(`API key lookup failed: ${body.errors[0]!.message}`);
    return body.data?.authenticateApiKey ?? null;
  }

  const authenticate = createAuthenticator({ jwtSecret: opts.jwtSecret, cache: opts.cache, lookupApiKey });
  // What clients may query, as loaded: subscriptions are validated against the same schema.
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: loaded }) => {
    apiSchema = loaded;
  });

  const server = new ApolloServer<GatewayContext>({
    gateway,
    formatError: createErrorFormatter((error) => opts.logger.error({ err: error }, 'unexpected error')),
    plugins: [metricsPlugin(opts.metrics), limitsPlugin(opts.limits), errorFieldsPlugin()],
    includeStacktraceInErrorResponses: false,
    // The process's own shutdown (closeOnSignals / runService) stops the server in order;
    // Apollo's handler would re-raise the signal, which that shutdown reads as a second
    // Ctrl+C and answers by exiting at once with status 1.
    stopOnTerminationSignals: false,
  });

  // A credential that fails here fails the whole request: answer 401, as HTTP clients expect.
  const context = async (req: Pick<IncomingMessage, 'headers'>): Promise<GatewayContext> => {
    try {
      return { identity: await authenticate(req.headers) };
    } catch (error) {
      if (error instanceof GraphQLError && error.extensions.code === ErrorCode.UNAUTHENTICATED) {
        throw new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status: 401 } } });
      }
      throw error;
    }
  };

  return { server, context, authenticate, schema: () => apiSchema, limits: opts.limits };
}
