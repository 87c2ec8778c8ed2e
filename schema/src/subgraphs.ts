import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Default routing URL of every known subgraph in multi-process mode, in composition order.
 * The gateway overrides these at run time; in the supergraph they are only defaults.
 * Adding a subgraph = write `subgraphs/<name>/src/schema.graphql` and add one line here.
 */
export const SUBGRAPH_URLS: Readonly<Record<string, string>> = {
  tenant: 'http://localhost:4001/graphql',
  device: 'http://localhost:4002/graphql',
  alert: 'http://localhost:4003/graphql',
  ota: 'http://localhost:4004/graphql',
  analytics: 'http://localhost:4005/graphql',
};

export interface SubgraphEntry {
  name: string;
  url: string;
  /** Absolute path of the subgraph's SDL file. */
  schemaPath: string;
}

/** Where a subgraph's SDL lives, relative to the repo root. */
export function subgraphSchemaPath(root: string, name: string): string {
  return join(root, 'subgraphs', name, 'src', 'schema.graphql');
}

/**
 * The subgraphs that exist today: the table entries whose schema file is present, in table
 * order (so the supergraph is printed in a stable order). Planned subgraphs whose folder does
 * not exist yet are silently skipped; this never throws.
 */
export function listSubgraphs(root: string): SubgraphEntry[] {
  return Object.entries(SUBGRAPH_URLS)
    .map(([name, url]) => ({ name, url, schemaPath: subgraphSchemaPath(root, name) }))
    .filter((entry) => existsSync(entry.schemaPath));
}
