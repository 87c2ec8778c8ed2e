export * from './apollo';
export * from './graphql-route';
export * from './server';
