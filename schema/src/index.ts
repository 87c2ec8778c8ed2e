// Public surface of @ump/schema for other packages (e.g. the gateway's subgraph URL defaults).
export { SUBGRAPH_URLS, listSubgraphs, subgraphSchemaPath } from './subgraphs';
export type { SubgraphEntry } from './subgraphs';
export { composeSubgraphSdls, composeSupergraph, renderSupergraphFile, isComposeFailure } from './compose';
export type { ComposeResult, ComposeSuccess, ComposeFailure, SubgraphSource } from './compose';
export { toApiSchema } from './api-schema';
export { SUPERGRAPH_FILE, ALLOWANCE_FILE, OPERATIONS_DIR } from './paths';
