export * from './conditions';
export * from './rule-changes';
