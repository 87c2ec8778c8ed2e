import {
  graphql,
  GraphQLError,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  Kind,
  parseValue as parseValueNode,
  type ValueNode,
} from 'graphql';
import { DateTime, JSONScalar, scalarResolvers } from './scalars';
import { badInputOf } from '../testing/bad-input';

const literal = (source: string): ValueNode => parseValueNode(source);

describe('DateTime', () => {
  const iso = '2024-03-07T10:15:30.123Z';

  describe('serialize', () => {
    it('writes a Date as an ISO-8601 UTC string', () => {
      expect(DateTime.serialize(new Date(iso))).toBe(iso);
    });

    it('normalizes a date string with an offset to ISO-8601 UTC', () => {
      expect(DateTime.serialize('2024-03-07T12:15:30.123+02:00')).toBe(iso);
    });

    it('refuses an invalid date', () => {
      expect(() => DateTime.serialize(new Date('nope'))).toThrow('DateTime cannot represent an invalid date');
      expect(() => DateTime.serialize('yesterday-ish')).toThrow(GraphQLError);
    });
  });

  describe('parseValue (variables)', () => {
    it('reads an ISO-8601 string into a Date', () => {
      const date = DateTime.parseValue(iso);
      expect(date).toBeInstanceOf(Date);
      expect(date.toISOString()).toBe(iso);
    });

    it('honours the offset of the string', () => {
      expect(DateTime.parseValue('2024-03-07T12:15:30.123+02:00').toISOString()).toBe(iso);
    });

    it.each([
      ['a number', 1709806530123],
      ['a boolean', true],
      ['null', null],
      ['an object', { iso }],
    ])('refuses %s with BAD_USER_INPUT', (_name, value) => {
      expect(badInputOf(() => DateTime.parseValue(value)).message).toBe('DateTime must be an ISO-8601 string');
    });

    it.each(['', 'not a date', '2024-13-01T00:00:00Z', '2024-03-07T25:00:00Z'])('refuses the string %p with BAD_USER_INPUT', (value) => {
      expect(badInputOf(() => DateTime.parseValue(value)).message).toBe(`DateTime: "${value}" is not an ISO-8601 date-time`);
    });

    // `new Date(string)` alone would accept these, in the server's local time zone, and roll
    // impossible dates over (Feb 30 → Mar 1).
    it.each(['1', 'March 7, 2024', 'Thu, 07 Mar 2024 10:15:30 GMT', '2024-02-30T00:00:00Z'])(
      'refuses the non-ISO-8601 string %p',
      (value) => {
        badInputOf(() => DateTime.parseValue(value));
      },
    );
  });

  describe('parseLiteral (inline arguments)', () => {
    it('reads a string literal into a Date', () => {
      expect(DateTime.parseLiteral(literal(`"${iso}"`), undefined).toISOString()).toBe(iso);
    });

    it.each(['1709806530123', 'true', 'null', '["2024-03-07T10:15:30Z"]', '{ at: "x" }'])('refuses the non-string literal %s', (source) => {
      expect(badInputOf(() => DateTime.parseLiteral(literal(source), undefined)).message).toBe('DateTime must be an ISO-8601 string');
    });

    it('refuses a string literal that is not a date', () => {
      badInputOf(() => DateTime.parseLiteral(literal('"soon"'), undefined));
    });
  });

  it('works inside a schema: an invalid argument fails as BAD_USER_INPUT, a valid one reaches the resolver as a Date', async () => {
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          echo: {
            type: new GraphQLNonNull(DateTime),
            args: { at: { type: new GraphQLNonNull(DateTime) } },
            resolve: (_root, args: { at: Date }) => {
              expect(args.at).toBeInstanceOf(Date);
              return new Date(args.at.getTime() + 1000);
            },
          },
        },
      }),
    });
    const ok = await graphql({ schema, source: `{ echo(at: "${iso}") }` });
    expect(ok).toEqual({ data: { echo: '2024-03-07T10:15:31.123Z' } });

    const viaVariable = await graphql({ schema, source: 'query($at: DateTime!) { echo(at: $at) }', variableValues: { at: 'nope' } });
    expect(viaVariable.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const viaLiteral = await graphql({ schema, source: '{ echo(at: 5) }' });
    expect(viaLiteral.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });
});

describe('JSON', () => {
  it('passes values through serialize and parseValue unchanged', () => {
    const value = { a: [1, { b: null }], c: 'x' };
    expect(JSONScalar.serialize(value)).toBe(value);
    expect(JSONScalar.parseValue(value)).toBe(value);
  });

  it.each([
    ['"text"', 'text'],
    ['42', 42],
    ['-1.5e3', -1500],
    ['true', true],
    ['false', false],
    ['null', null],
    ['[]', []],
    ['{}', {}],
  ])('reads the literal %s', (source, expected) => {
    expect(JSONScalar.parseLiteral(literal(source), undefined)).toEqual(expected);
  });

  it('reads nested objects and lists', () => {
    const source = '{ name: "boiler", limits: { min: -5, max: 90.5 }, tags: ["a", ["b", { deep: true }]], none: null }';
    expect(JSONScalar.parseLiteral(literal(source), undefined)).toEqual({
      name: 'boiler',
      limits: { min: -5, max: 90.5 },
      tags: ['a', ['b', { deep: true }]],
      none: null,
    });
  });

  it('substitutes variables at any depth', () => {
    const node = literal('{ owner: $owner, list: [1, $n, { x: $obj }] }');
    expect(JSONScalar.parseLiteral(node, { owner: 'ops', n: 2, obj: { y: [true] } })).toEqual({
      owner: 'ops',
      list: [1, 2, { x: { y: [true] } }],
    });
  });

  it('reads an unset variable as undefined', () => {
    expect(JSONScalar.parseLiteral(literal('{ a: $missing }'), {})).toEqual({ a: undefined });
    expect(JSONScalar.parseLiteral(literal('$missing'), null)).toBeUndefined();
  });

  it('refuses an enum literal (not JSON) with BAD_USER_INPUT', () => {
    expect(literal('AUTO').kind).toBe(Kind.ENUM);
    badInputOf(() => JSONScalar.parseLiteral(literal('{ mode: AUTO }'), undefined));
  });

  it('works as an argument inside a schema, literals and variables mixed', async () => {
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          echo: {
            type: GraphQLString,
            args: { value: { type: JSONScalar } },
            resolve: (_root, args: { value: unknown }) => JSON.stringify(args.value),
          },
        },
      }),
    });
    const result = await graphql({
      schema,
      source: 'query($v: String) { echo(value: { a: [1, $v], b: { c: "d" } }) }',
      variableValues: { v: 'seven' },
    });
    expect(result).toEqual({ data: { echo: '{"a":[1,"seven"],"b":{"c":"d"}}' } });
  });
});

describe('scalarResolvers', () => {
  it('picks only the scalars the SDL declares', () => {
    expect(Object.keys(scalarResolvers('scalar DateTime\ntype Query { now: DateTime }'))).toEqual(['DateTime']);
    expect(Object.keys(scalarResolvers('scalar JSON\ntype Query { x: JSON }'))).toEqual(['JSON']);
    expect(scalarResolvers('scalar DateTime\nscalar JSON')).toEqual({ DateTime, JSON: JSONScalar });
  });

  it('returns nothing when no known scalar is declared', () => {
    expect(scalarResolvers('type Query { x: String }')).toEqual({});
  });

  it('does not match mere uses or longer names', () => {
    expect(scalarResolvers('type Query { at: DateTime, data: JSON }')).toEqual({});
    expect(scalarResolvers('scalar DateTimeZone\nscalar JSONObject')).toEqual({});
  });

  it('tolerates extra whitespace and a description', () => {
    expect(Object.keys(scalarResolvers('"An instant"\nscalar   DateTime @specifiedBy(url: "x")'))).toEqual(['DateTime']);
  });
});
