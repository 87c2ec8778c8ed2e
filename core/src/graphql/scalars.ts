import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { ErrorCode } from '../errors';

const invalid = (message: string) => new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT } });

// A full ISO-8601 date-time with an explicit zone: anything looser would be read in the
// server's local time zone by `new Date`.
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

function parseDate(value: unknown): Date {
  if (typeof value !== 'string') throw invalid('DateTime must be an ISO-8601 string');
  const match = ISO_DATE_TIME.exec(value);
  const date = new Date(value);
  // `new Date` rolls impossible days over (Feb 30 → Mar 1): the day must exist in its month.
  const daysInMonth = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]), 0)).getUTCDate() : 0;
  if (!match || Number.isNaN(date.getTime()) || Number(match[3]) > daysInMonth) {
    throw invalid(`DateTime: "${value}" is not an ISO-8601 date-time`);
  }
  return date;
}

/** ISO-8601 instants in, Date objects inside, ISO strings out. */
export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime cannot represent an invalid date');
    return date.toISOString();
  },
  parseValue: parseDate,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw invalid('DateTime must be an ISO-8601 string');
    return parseDate(ast.value);
  },
});

function literalToJson(ast: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => literalToJson(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJson(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      throw invalid('Unsupported JSON literal');
  }
}

/** Any JSON value. */
export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => literalToJson(ast, variables),
});

/** The scalar resolvers a subgraph's SDL declares. */
export function scalarResolvers(typeDefs: string): Record<string, GraphQLScalarType> {
  const all: Record<string, GraphQLScalarType> = { DateTime, JSON: JSONScalar };
  return Object.fromEntries(Object.entries(all).filter(([name]) => new RegExp(`\\bscalar\\s+${name}\\b`).test(typeDefs)));
}
