import { z } from 'zod';
import { adminEnv, authEnv, clusterEnv, gatewayEnv, loggingEnv, storageEnv, subgraphEnv } from './env';
import { ConfigError, parseEnv } from './parse';

// The schemas the entry points actually build.
const embedded = loggingEnv.extend(storageEnv.shape).extend(authEnv.shape).extend(adminEnv.shape).extend(gatewayEnv.shape);
const subgraph = loggingEnv.extend(subgraphEnv.shape).extend(authEnv.shape).extend(clusterEnv.shape);

const SECRET = 'x'.repeat(32);

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  it('applies every default on an empty environment', () => {
    expect(parseEnv(embedded, {})).toEqual({
      LOG_LEVEL: 'info',
      UMP_DATA_DIR: './.ump',
      JWT_TTL_SECONDS: 43_200,
      UMP_ADMIN_EMAIL: 'admin@ump.local',
      PORT: 4000,
      HOST: '0.0.0.0',
      GRAPHQL_MAX_DEPTH: 12,
      GRAPHQL_MAX_COST: 20_000,
    });
  });

  it('coerces numeric variables from their string form', () => {
    const config = parseEnv(embedded, { PORT: '8080', JWT_TTL_SECONDS: '60', GRAPHQL_MAX_DEPTH: '5', GRAPHQL_MAX_COST: '100' });
    expect(config.PORT).toBe(8080);
    expect(config.JWT_TTL_SECONDS).toBe(60);
    expect(config.GRAPHQL_MAX_DEPTH).toBe(5);
    expect(config.GRAPHQL_MAX_COST).toBe(100);
  });

  it('keeps the values it was given', () => {
    const config = parseEnv(embedded, {
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
      UMP_DATA_DIR: '/var/lib/ump',
      DATABASE_URL: 'postgresql://u@db:5432/ump',
      JWT_SECRET: SECRET,
      UMP_ADMIN_EMAIL: 'root@example.com',
      UMP_ADMIN_PASSWORD: 'twelve chars',
      HOST: '127.0.0.1',
    });
    expect(config).toMatchObject({
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
      UMP_DATA_DIR: '/var/lib/ump',
      DATABASE_URL: 'postgresql://u@db:5432/ump',
      JWT_SECRET: SECRET,
      UMP_ADMIN_EMAIL: 'root@example.com',
      UMP_ADMIN_PASSWORD: 'twelve chars',
      HOST: '127.0.0.1',
    });
  });

  it('treats an empty string as unset, so the default applies', () => {
    const config = parseEnv(embedded, { PORT: '', LOG_LEVEL: '', JWT_SECRET: '', UMP_ADMIN_EMAIL: '', UMP_ADMIN_PASSWORD: '' });
    expect(config.PORT).toBe(4000);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.UMP_ADMIN_EMAIL).toBe('admin@ump.local');
    // Optional ones stay unset instead of failing their minimum length.
    expect(config).not.toHaveProperty('JWT_SECRET');
    expect(config).not.toHaveProperty('UMP_ADMIN_PASSWORD');
  });

  it('treats undefined values as unset', () => {
    expect(parseEnv(embedded, { PORT: undefined }).PORT).toBe(4000);
  });

  it('ignores variables the schema does not declare', () => {
    const config = parseEnv(embedded, { PATH: '/usr/bin', HOME: '/root' });
    expect(config).not.toHaveProperty('PATH');
  });

  it('reports all problems at once, each naming its variable', () => {
    const problems = problemsOf(() =>
      parseEnv(embedded, { PORT: 'eighty', JWT_SECRET: 'short', LOG_LEVEL: 'loud', UMP_ADMIN_EMAIL: 'nope', DATABASE_URL: 'not a url' }),
    );
    expect(problems).toHaveLength(5);
    const byVariable = Object.fromEntries(problems.map((p) => [p.slice(0, p.indexOf(':')), p]));
    expect(Object.keys(byVariable).sort()).toEqual(['DATABASE_URL', 'JWT_SECRET', 'LOG_LEVEL', 'PORT', 'UMP_ADMIN_EMAIL']);
    expect(byVariable.JWT_SECRET).toBe('JWT_SECRET: must be at least 32 characters');
  });

  it('puts every problem into the error message, one per line', () => {
    let message = '';
    try {
      parseEnv(embedded, { PORT: '70000', JWT_SECRET: 'short' });
    } catch (error) {
      message = (error as Error).message;
      expect((error as Error).name).toBe('ConfigError');
    }
    const lines = message.split('\n');
    expect(lines[0]).toBe('Invalid configuration:');
    expect(lines.slice(1)).toHaveLength(2);
    expect(lines.slice(1)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^ {2}- PORT: \S/), '  - JWT_SECRET: must be at least 32 characters']),
    );
  });

  it.each([
    ['-1', 'negative'],
    ['65536', 'above 65535'],
    ['80.5', 'not an integer'],
    ['http', 'not a number'],
  ])('refuses PORT=%s (%s)', (value) => {
    expect(problemsOf(() => parseEnv(embedded, { PORT: value }))).toEqual([expect.stringMatching(/^PORT: /)]);
  });

  it.each(['0', '65535'])('accepts PORT=%s at the bounds', (value) => {
    expect(parseEnv(embedded, { PORT: value }).PORT).toBe(Number(value));
  });

  it('refuses non-positive limits and TTLs', () => {
    const problems = problemsOf(() => parseEnv(embedded, { GRAPHQL_MAX_DEPTH: '0', GRAPHQL_MAX_COST: '-5', JWT_TTL_SECONDS: '0' }));
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['GRAPHQL_MAX_COST', 'GRAPHQL_MAX_DEPTH', 'JWT_TTL_SECONDS']);
  });

  it('requires database, redis and both secrets for separate processes, all reported together', () => {
    const problems = problemsOf(() => parseEnv(subgraph, {}));
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['DATABASE_URL', 'JWT_SECRET', 'REDIS_URL', 'UMP_INTERNAL_SECRET']);
  });

  it('an empty required variable counts as missing', () => {
    const problems = problemsOf(() =>
      parseEnv(subgraph, { DATABASE_URL: '', REDIS_URL: 'redis://r:6379', JWT_SECRET: SECRET, UMP_INTERNAL_SECRET: SECRET }),
    );
    expect(problems).toEqual([expect.stringMatching(/^DATABASE_URL: /)]);
  });

  it('a subgraph PORT has no default', () => {
    const config = parseEnv(subgraph, {
      DATABASE_URL: 'postgresql://u@db/ump',
      REDIS_URL: 'redis://r:6379',
      JWT_SECRET: SECRET,
      UMP_INTERNAL_SECRET: SECRET,
    });
    expect(config.PORT).toBeUndefined();
    expect(parseEnv(subgraphEnv, { PORT: '4001' }).PORT).toBe(4001);
  });

  it('labels a problem of the whole object as (env)', () => {
    const schema = z.object({ A: z.string().optional(), B: z.string().optional() }).refine((v) => v.A || v.B, 'set A or B');
    expect(problemsOf(() => parseEnv(schema as unknown as z.ZodObject, {}))).toEqual(['(env): set A or B']);
  });
});
