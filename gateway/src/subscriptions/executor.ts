import type { ApolloServer } from '@apollo/server';
import type { GatewayContext } from '../data-source';
import type { GraphExecutor } from './hub';

/**
 * Runs requests through the gateway's own Apollo Server in-process (`executeOperation`):
 * the same plugins (limits, error fields, metrics), error masking, query planner and signed
 * subgraph calls as an HTTP request, with the subscriber's identity as the context, so
 * authorization and tenant scoping cannot differ between HTTP and subscriptions.
 */
export function gatewayExecutor(server: ApolloServer<GatewayContext>): GraphExecutor {
  return async (request, identity) => {
    const response = await server.executeOperation(request, { contextValue: { identity } });
    if (response.body.kind !== 'single') throw new Error('incremental delivery is not enabled on the gateway');
    return response.body.singleResult;
  };
}
