export * from './identity';
export * from './password';
export * from './roles';
export * from './secrets';
export * from './tokens';
