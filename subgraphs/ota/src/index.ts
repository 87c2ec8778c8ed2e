// @ump/subgraph-ota: the subgraph (firmware, rollouts) and the rollout engine that runs beside it.
export { createOtaSubgraph, typeDefs } from './subgraph';
export type { OtaContext, OtaDeps } from './context';
export { DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_MAX_UPLOAD_BYTES } from './resolvers/Mutation/firmware';
export { createRolloutEngine } from './engine';
export type { ActionInput, RolloutActions, RolloutEngine, RolloutEngineDeps } from './engine/types';
