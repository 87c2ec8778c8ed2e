export * from './statuses';
export * from './rollout-spec';
export * from './update-window';
export * from './artifact-store';
export * from './kpi';
