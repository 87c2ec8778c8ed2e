import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { parse } from 'graphql';
import type { Logger } from 'pino';
import { createIdentityVerifier, IDENTITY_HEADER, type Identity } from '../auth';
import { createErrorFormatter } from '../errors';
import type { Metrics } from '../metrics';
import { metricsPlugin } from './metrics-plugin';
import { scalarResolvers } from './scalars';

/** What every subgraph context carries; each subgraph adds its stores and loaders. */
export interface SubgraphContext extends BaseContext {
  identity: Identity;
}

/**
 * An Apollo Server for one federated subgraph: the SDL plus resolvers (the shared DateTime
 * and JSON scalars are added), error masking and metrics.
 */
export function createSubgraphServer<C extends SubgraphContext>(opts: {
  typeDefs: string;
  resolvers: GraphQLResolverMap<C>;
  logger: Logger;
  metrics: Metrics;
}): ApolloServer<C> {
  const schema = buildSubgraphSchema({
    typeDefs: parse(opts.typeDefs),
    resolvers: { ...scalarResolvers(opts.typeDefs), ...opts.resolvers } as GraphQLResolverMap<unknown>,
  });
  return new ApolloServer<C>({
    schema,
    formatError: createErrorFormatter((error) => opts.logger.error({ err: error }, 'unexpected error')),
    // Inline traces feed Apollo's hosted studio, which UMP does not use.
    plugins: [metricsPlugin(opts.metrics), ApolloServerPluginInlineTraceDisabled()],
    includeStacktraceInErrorResponses: false,
    // The process's own shutdown (closeOnSignals / runService) stops the server in order;
    // Apollo's handler would re-raise the signal, which that shutdown reads as a second
    // Ctrl+C and answers by exiting at once with status 1.
    stopOnTerminationSignals: false,
  });
}

/**
 * Builds the per-request context from the gateway-signed identity header. A request without
 * a valid signature is refused with UNAUTHENTICATED before any resolver runs.
 */
export function subgraphContext<C extends SubgraphContext>(
  internalSecret: string,
  build: (identity: Identity) => C,
): (headers: Record<string, string | string[] | undefined>) => Promise<C> {
  const verifyIdentity = createIdentityVerifier(internalSecret);
  return async (headers) => {
    const header = headers[IDENTITY_HEADER];
    const identity = await verifyIdentity(Array.isArray(header) ? header[0] : header);
    return build(identity);
  };
}
