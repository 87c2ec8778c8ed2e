import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { createIdentitySigner, IDENTITY_HEADER, type Identity } from '@ump/core';

/** The gateway's per-request context, as subgraph fetches see it. */
export interface GatewayContext {
  identity: Identity;
}

/**
 * Sends each subgraph request with the caller's identity, signed with the internal secret,
 * so subgraphs trust the gateway's authentication and refuse anyone else.
 */
export class SignedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly sign: (identity: Identity) => Promise<string>;

  constructor(url: string, internalSecret: string, fetcher?: Fetcher) {
    super({ url, ...(fetcher ? { fetcher } : {}) });
    this.sign = createIdentitySigner(internalSecret);
  }

  override async willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    // Health checks and schema loading carry no context: they go out as the gateway itself.
    const identity: Identity = 'context' in options && options.context?.identity
      ? options.context.identity
      : { kind: 'service', service: 'gateway' };
    options.request.http?.headers.set(IDENTITY_HEADER, await this.sign(identity));
  }
}
