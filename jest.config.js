// Two projects: `unit` (*.test.ts, no network) and `integration` (*.int.test.ts,
// real Postgres/Redis/Kafka/ClickHouse; see core/src/testing/services.ts).
const transform = {
  '^.+\\.(t|j|mj)s$': [
    '@swc/jest',
    { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
  ],
};
// ESM-only dependencies that Jest's CommonJS runtime must transpile.
const esmOnly = ['jose', 'graphql-ws', '@graphql-inspector', 'dependency-graph', 'aedes'];
const common = {
  transform,
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.ump/', '<rootDir>/.kafka/', '<rootDir>/.clickhouse/'],
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.ts$'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/*.int.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/jest.integration-setup.js'],
      globalSetup: '<rootDir>/jest.global-setup.js',
    },
  ],
};
