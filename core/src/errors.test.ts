import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import {
  badInput,
  conflict,
  createErrorFormatter,
  ErrorCode,
  forbidden,
  isErrorCode,
  notFound,
  rateLimited,
  UmpError,
  unauthenticated,
} from './errors';

/** What Apollo hands formatError: the formatted error (with a stacktrace in development) and the original. */
function formattedOf(error: GraphQLError, extra: Record<string, unknown> = { stacktrace: ['Error: x', '    at somewhere.ts:1:1'] }) {
  const json = error.toJSON();
  return { ...json, path: ['createDevice'], extensions: { ...json.extensions, ...extra } } as GraphQLFormattedError;
}

function setup() {
  const reported: unknown[] = [];
  return { reported, format: createErrorFormatter((e) => reported.push(e)) };
}

describe('error helpers', () => {
  it.each([
    [unauthenticated(), 'UNAUTHENTICATED'],
    [forbidden(), 'FORBIDDEN'],
    [notFound('Device'), 'NOT_FOUND'],
    [badInput('input.name', 'must not be empty'), 'BAD_USER_INPUT'],
    [conflict('taken'), 'CONFLICT'],
    [rateLimited(), 'RATE_LIMITED'],
  ])('%p carries code %s and is a GraphQLError', (error, code) => {
    expect(error).toBeInstanceOf(UmpError);
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error.extensions.code).toBe(code);
  });

  it('badInput names the field in extensions.field and prefixes the message with it', () => {
    const error = badInput('input.labels.0', 'labels are 1-63 characters');
    expect(error.message).toBe('input.labels.0: labels are 1-63 characters');
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.labels.0' });
  });

  it('notFound and conflict name a field only when given one', () => {
    expect(notFound('Device').message).toBe('Device not found');
    expect(notFound('Device').extensions).toEqual({ code: 'NOT_FOUND' });
    expect(notFound('Profile', 'input.profileId').extensions).toEqual({ code: 'NOT_FOUND', field: 'input.profileId' });
    expect(conflict('A device named "x" already exists', 'input.name').extensions).toEqual({ code: 'CONFLICT', field: 'input.name' });
  });

  it('isErrorCode accepts exactly the closed set', () => {
    expect(Object.values(ErrorCode).sort()).toEqual(
      ['BAD_USER_INPUT', 'CONFLICT', 'FORBIDDEN', 'INTERNAL', 'NOT_FOUND', 'RATE_LIMITED', 'UNAUTHENTICATED'],
    );
    for (const code of Object.values(ErrorCode)) expect(isErrorCode(code)).toBe(true);
    for (const code of ['GRAPHQL_VALIDATION_FAILED', 'INTERNAL_SERVER_ERROR', 'bad_user_input', undefined, 1]) {
      expect(isErrorCode(code)).toBe(false);
    }
  });
});

describe('createErrorFormatter', () => {
  it.each([
    ['UNAUTHENTICATED', unauthenticated('Invalid token')],
    ['FORBIDDEN', forbidden('Role VIEWER may not do this')],
    ['NOT_FOUND', notFound('Device')],
    ['BAD_USER_INPUT', badInput('input.name', 'must not be empty')],
    ['CONFLICT', conflict('taken', 'input.name')],
    ['RATE_LIMITED', rateLimited()],
  ])('keeps a %s error as it is, minus the stacktrace, and does not report it', (_code, error) => {
    const { format, reported } = setup();
    const out = format(formattedOf(error), error);
    expect(out.message).toBe(error.message);
    expect(out.path).toEqual(['createDevice']);
    expect(out.extensions).toEqual(error.extensions);
    expect(out.extensions).not.toHaveProperty('stacktrace');
    expect(reported).toEqual([]);
  });

  it('passes a UMP error without a stacktrace through untouched', () => {
    const { format } = setup();
    const error = badInput('after', 'is not a cursor');
    const formatted = error.toJSON();
    expect(format(formatted, error)).toEqual(formatted);
  });

  it('keeps a deliberate INTERNAL error but reports it', () => {
    const { format, reported } = setup();
    const error = new UmpError(ErrorCode.INTERNAL, 'Something went wrong on our side');
    const out = format(formattedOf(error), error);
    expect(out.extensions).toEqual({ code: 'INTERNAL' });
    expect(out.message).toBe('Something went wrong on our side');
    expect(reported).toEqual([error]);
  });

  it.each(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST', 'OPERATION_RESOLUTION_FAILURE', 'PERSISTED_QUERY_NOT_FOUND'])(
    'maps the request error %s to BAD_USER_INPUT, keeping message, locations and other extensions',
    (code) => {
      const { format, reported } = setup();
      const error = new GraphQLError('Cannot query field "colour" on type "Device".', { extensions: { code } });
      const formatted: GraphQLFormattedError = {
        message: error.message,
        locations: [{ line: 1, column: 3 }],
        extensions: { code, field: 'input.colour', stacktrace: ['GraphQLError: ...'] },
      };
      const out = format(formatted, error);
      expect(out).toEqual({
        message: 'Cannot query field "colour" on type "Device".',
        locations: [{ line: 1, column: 3 }],
        extensions: { code: 'BAD_USER_INPUT', field: 'input.colour' },
      });
      expect(reported).toEqual([]);
    },
  );

  it('masks a plain Error as INTERNAL with the generic message and reports the original', () => {
    const { format, reported } = setup();
    const error = new Error('connect ECONNREFUSED 10.0.0.5:5432 (password=hunter2)');
    const formatted: GraphQLFormattedError = {
      message: error.message,
      path: ['devices'],
      locations: [{ line: 2, column: 5 }],
      extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['Error: connect ECONNREFUSED', '    at pg.ts:10:1'] },
    };
    const out = format(formatted, error);
    expect(out).toEqual({ message: 'Internal server error', path: ['devices'], extensions: { code: 'INTERNAL' } });
    expect(JSON.stringify(out)).not.toMatch(/ECONNREFUSED|hunter2|pg\.ts/);
    expect(reported).toEqual([error]);
  });

  it('masks a GraphQLError with an unknown code as INTERNAL and reports it', () => {
    const { format, reported } = setup();
    const error = new GraphQLError('Prisma P2034: write conflict in table devices', { extensions: { code: 'PRISMA_P2034' } });
    const out = format(formattedOf(error), error);
    expect(out.message).toBe('Internal server error');
    expect(out.extensions).toEqual({ code: 'INTERNAL' });
    expect(reported).toEqual([error]);
  });

  it('masks an error without any code', () => {
    const { format, reported } = setup();
    const out = format({ message: 'TypeError: cannot read properties of undefined' }, 'thrown string');
    expect(out).toEqual({ message: 'Internal server error', path: undefined, extensions: { code: 'INTERNAL' } });
    expect(reported).toEqual(['thrown string']);
  });
});
