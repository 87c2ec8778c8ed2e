// Test helpers: tiny Federation 2 subgraphs and their composition. Used only by *.test.ts.
import { ComposeSuccess, composeSubgraphSdls, isComposeFailure } from './compose';

/** A Federation 2 subgraph SDL: the @link header plus `body`. */
export function subgraphSdl(body: string): string {
  return `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@inaccessible"])\n${body}`;
}

/** Composes `{ name: body }` subgraphs; throws if composition fails, since tests expect success. */
export function composeOk(subgraphs: Record<string, string>): ComposeSuccess {
  const result = composeSubgraphSdls(
    Object.entries(subgraphs).map(([name, body], i) => ({ name, url: `http://localhost:${4001 + i}/graphql`, sdl: subgraphSdl(body) })),
  );
  if (isComposeFailure(result)) throw new Error(`composition failed:\n${result.errors.join('\n')}`);
  return result;
}

/** The baseline used across tests: one subgraph with a query, an entity and a hidden field. */
export const BASE_BODY = `
  type Query {
    tenants: [Tenant!]!
    tenant(id: ID!): Tenant
    internalLookup(key: String!): String @inaccessible
  }
  type Tenant @key(fields: "id") {
    id: ID!
    name: String!
    plan: String!
  }
`;

export const baseSupergraph = (): string => composeOk({ tenant: BASE_BODY }).supergraphSdl;
