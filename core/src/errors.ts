import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/**
 * The closed set of error codes every UMP error carries in `extensions.code`.
 * Clients branch on these: never rename or remove one once shipped.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const codes = new Set<string>(Object.values(ErrorCode));
export const isErrorCode = (value: unknown): value is ErrorCode => typeof value === 'string' && codes.has(value);

/** An expected failure, safe to show to the caller as is. `field` names the offending input. */
export class UmpError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extra: { field?: string } = {}) {
    super(message, { extensions: { code, ...(extra.field ? { field: extra.field } : {}) } });
    this.name = 'UmpError';
  }
}

export const unauthenticated = (message = 'Sign in first: send a valid token or API key') =>
  new UmpError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message = 'Your role does not allow this') => new UmpError(ErrorCode.FORBIDDEN, message);
export const notFound = (what: string, field?: string) =>
  new UmpError(ErrorCode.NOT_FOUND, `${what} not found`, { field });
export const badInput = (field: string, message: string) =>
  new UmpError(ErrorCode.BAD_USER_INPUT, `${field}: ${message}`, { field });
export const conflict = (message: string, field?: string) => new UmpError(ErrorCode.CONFLICT, message, { field });
export const rateLimited = (message = 'Too many requests; slow down') => new UmpError(ErrorCode.RATE_LIMITED, message);

// GraphQL-level failures of the request itself are the caller's input problem.
const requestErrorCodes = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/**
 * Apollo `formatError`: keeps errors that carry a UMP code, maps GraphQL request errors to
 * BAD_USER_INPUT, and masks everything else as INTERNAL after handing it to `report`
 * (so stack traces and driver messages never reach clients).
 */
export function createErrorFormatter(report: (error: unknown) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (isErrorCode(code)) {
      if (code === ErrorCode.INTERNAL) report(error);
      return withoutStack(formatted);
    }
    if (typeof code === 'string' && requestErrorCodes.has(code)) {
      return withoutStack({ ...formatted, extensions: { ...formatted.extensions, code: ErrorCode.BAD_USER_INPUT } });
    }
    report(error);
    return { message: 'Internal server error', path: formatted.path, extensions: { code: ErrorCode.INTERNAL } };
  };
}

function withoutStack(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (!formatted.extensions || !('stacktrace' in formatted.extensions)) return formatted;
  const { stacktrace: _omit, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}
