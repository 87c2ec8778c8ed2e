import { ApolloServer } from '@apollo/server';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { limitsPlugin, operationComplexity } from './limits';

/** Depth and cost of the (named or only) operation of `source`. */
function measure(source: string, variables?: Record<string, unknown>, operationName?: string) {
  const document = parse(source);
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  return operationComplexity(document, operation!, variables);
}

describe('operationComplexity: depth', () => {
  it('counts one level per nested field', () => {
    expect(measure('{ a }').depth).toBe(1);
    expect(measure('{ a { b } }').depth).toBe(2);
    expect(measure('{ a { b { c { d } } } }').depth).toBe(4);
  });

  it('is the deepest branch, not the sum', () => {
    expect(measure('{ a { b } c { d { e } } f }').depth).toBe(3);
  });

  it('an empty-ish operation with only __typename has depth 0', () => {
    expect(measure('{ __typename }')).toEqual({ depth: 0, cost: 0 });
  });
});

describe('operationComplexity: cost', () => {
  it('costs 1 per field', () => {
    expect(measure('{ a b c }').cost).toBe(3);
    expect(measure('{ a { b c } }').cost).toBe(3);
  });

  it('counts aliases of the same field separately', () => {
    expect(measure('{ one: device(id: 1) { id } two: device(id: 2) { id } }').cost).toBe(4);
  });

  it('multiplies what is selected inside a page by a literal `first`', () => {
    // devices: 1 + 10 × (edges: 1 + node: (1 + id + name)) = 1 + 10 × 4
    expect(measure('{ devices(first: 10) { edges { node { id name } } } }')).toEqual({ depth: 4, cost: 41 });
  });

  it('does not multiply the page field itself or its siblings', () => {
    expect(measure('{ devices(first: 50) { id } me { id } }').cost).toBe(1 + 50 + 2);
  });

  it('multiplies nested pages', () => {
    // tenants: 1 + 10 × (devices: 1 + 5 × 1)
    expect(measure('{ tenants(first: 10) { devices(first: 5) { id } } }').cost).toBe(1 + 10 * (1 + 5));
  });

  it('reads `first` from variables', () => {
    const source = 'query Q($n: Int) { devices(first: $n) { id name } }';
    expect(measure(source, { n: 7 }).cost).toBe(1 + 7 * 2);
    expect(measure(source, { n: 100 }).cost).toBe(1 + 100 * 2);
  });

  it('assumes 20 items when `first` is present but cannot be resolved', () => {
    expect(measure('query Q($n: Int) { devices(first: $n) { id } }', {}).cost).toBe(1 + 20); // variable not given
    expect(measure('query Q($n: Int) { devices(first: $n) { id } }').cost).toBe(1 + 20); // no variables at all
    expect(measure('query Q($n: Int) { devices(first: $n) { id } }', { n: '7' }).cost).toBe(1 + 20); // not a number
    expect(measure('{ devices(first: "ten") { id } }').cost).toBe(1 + 20);
    expect(measure('{ devices(first: 2.5) { id } }').cost).toBe(1 + 20);
  });

  it('never multiplies by less than one (first: 0 or negative)', () => {
    expect(measure('{ devices(first: 0) { id name } }').cost).toBe(3);
    expect(measure('query Q($n: Int) { devices(first: $n) { id name } }', { n: -100 }).cost).toBe(3);
  });

  it('only `first` multiplies; other arguments do not', () => {
    expect(measure('{ devices(last: 50, take: 50, limit: 50) { id } }').cost).toBe(2);
  });
});

describe('operationComplexity: fragments', () => {
  it('follows named fragments, which add their fields but no depth of their own', () => {
    const source = '{ ...Top } fragment Top on Query { device { ...Fields } } fragment Fields on Device { id name }';
    expect(measure(source)).toEqual({ depth: 2, cost: 3 });
  });

  it('follows inline fragments', () => {
    expect(measure('{ node { ... on Device { id name } ... on Profile { id } } }')).toEqual({ depth: 2, cost: 4 });
    expect(measure('{ ... @include(if: true) { a { b } } }')).toEqual({ depth: 2, cost: 2 });
  });

  it('multiplies fields from fragments inside a page', () => {
    const source = '{ devices(first: 10) { ...D } } fragment D on Device { id name profile { id } }';
    expect(measure(source).cost).toBe(1 + 10 * 4);
  });

  it('counts a fragment each time it is spread', () => {
    const source = '{ a: device { ...D } b: device { ...D } } fragment D on Device { id name }';
    expect(measure(source).cost).toBe(2 * 3);
  });

  it('ignores spreads of undefined fragments', () => {
    expect(measure('{ a ...Missing }')).toEqual({ depth: 1, cost: 1 });
  });

  it('terminates on fragment cycles (invalid GraphQL, measured once around the loop)', () => {
    const cycle = '{ ...A } fragment A on Query { a ...B } fragment B on Query { b ...A }';
    expect(measure(cycle)).toEqual({ depth: 1, cost: 2 });
    const self = '{ device { ...D } } fragment D on Device { id parent { ...D } }';
    expect(measure(self)).toEqual({ depth: 2, cost: 3 });
  });
});

describe('operationComplexity: work done', () => {
  /**
   * A valid document (no cycles, depth 1) where fragment i spreads fragment i+1 twice: its
   * cost is 2^n, and `visits` counts how often the walk reads a fragment's selection set.
   */
  function doubling(n: number) {
    let source = '{ ...F0 }\n';
    for (let i = 0; i < n; i++) source += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }\n`;
    source += `fragment F${n} on Query { a }\n`;
    const document = parse(source);
    let visits = 0;
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.FRAGMENT_DEFINITION) continue;
      const { selectionSet } = definition;
      Object.defineProperty(definition, 'selectionSet', {
        get: () => {
          visits++;
          return selectionSet;
        },
      });
    }
    const operation = document.definitions[0] as OperationDefinitionNode;
    return { document, operation, visits: () => visits };
  }

  it('computes the exponential cost of repeated fragment spreads correctly', () => {
    const { document, operation } = doubling(10);
    expect(operationComplexity(document, operation)).toEqual({ depth: 1, cost: 2 ** 10 });
  });

  // A valid ~1 KB query of fragments that each spread the next one twice must not cost
  // exponential time before the limit can refuse it.
  it('walks each fragment a bounded number of times (linear, not exponential, in the document)', () => {
    const n = 16;
    const { document, operation, visits } = doubling(n);
    expect(operationComplexity(document, operation).cost).toBe(2 ** n);
    expect(visits()).toBeLessThanOrEqual(4 * (n + 1));
  });
});

describe('operationComplexity: introspection and operations', () => {
  it('ignores introspection fields and everything below them', () => {
    expect(measure('{ __schema { types { name fields { name type { name } } } } __type(name: "X") { name } a }')).toEqual({
      depth: 1,
      cost: 1,
    });
    expect(measure('{ a { __typename b } }')).toEqual({ depth: 2, cost: 2 });
  });

  it('measures the operation it is given, not the others of the document', () => {
    const source = 'query Small { a } query Big { a { b { c } } d e }';
    expect(measure(source, {}, 'Small')).toEqual({ depth: 1, cost: 1 });
    expect(measure(source, {}, 'Big')).toEqual({ depth: 3, cost: 5 });
  });

  it('measures mutations like queries', () => {
    expect(measure('mutation { createDevice(input: { name: "x" }) { device { id } accessToken } }')).toEqual({ depth: 3, cost: 4 });
  });
});

describe('limitsPlugin', () => {
  const typeDefs = `#graphql
    type Device { id: ID! name: String! children(first: Int): [Device!]! }
    type Query { devices(first: Int): [Device!]! }
  `;
  let calls = 0;
  const device = (id: number) => ({ id: String(id), name: `d${id}` });
  const resolvers = {
    Query: {
      devices: () => {
        calls++;
        return [device(1)];
      },
    },
    Device: { children: () => [device(2)] },
  };
  const server = new ApolloServer({ typeDefs, resolvers, plugins: [limitsPlugin({ maxDepth: 3, maxCost: 100 })] });

  beforeAll(() => server.start());
  afterAll(() => server.stop());
  beforeEach(() => {
    calls = 0;
  });

  async function run(query: string, variables?: Record<string, unknown>) {
    const response = await server.executeOperation({ query, variables });
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return response.body.singleResult;
  }

  it('lets an operation within both limits through', async () => {
    const result = await run('{ devices(first: 10) { id children(first: 3) { id } } }');
    expect(result.errors).toBeUndefined();
    expect(calls).toBe(1);
  });

  it('refuses a too deep operation before any resolver runs, with BAD_USER_INPUT', async () => {
    const result = await run('{ devices(first: 1) { children(first: 1) { children(first: 1) { id } } } }');
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toBe('Query depth 4 exceeds the limit of 3');
    expect(calls).toBe(0);
  });

  it('refuses a too costly operation, counting `first` from variables', async () => {
    const query = 'query Q($n: Int) { devices(first: $n) { id name } }';
    expect((await run(query, { n: 49 })).errors).toBeUndefined(); // 1 + 49 × 2 = 99
    const result = await run(query, { n: 50 }); // 1 + 50 × 2 = 101
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(/^Query cost 101 exceeds the limit of 100/);
    expect(calls).toBe(1);
  });
});
