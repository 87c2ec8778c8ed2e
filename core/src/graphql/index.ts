export * from './metrics-plugin';
export * from './scalars';
export * from './subgraph';
export * from './pagination';
export * from './batch';
export * from './serve';
