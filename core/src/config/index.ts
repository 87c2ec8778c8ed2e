export * from './env';
export * from './parse';
export * from './secrets';
