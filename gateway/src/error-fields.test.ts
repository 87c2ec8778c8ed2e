import { buildSchema, parse, validate, type DocumentNode, type GraphQLError, type OperationDefinitionNode } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { ApolloServer } from '@apollo/server';
import { createErrorFormatter } from '@ump/core';
import { errorFieldsPlugin, fieldOfError } from './error-fields';

const schema = buildSchema(`
  input TagInput { key: String! value: String }
  input DeviceInput { name: String! labels: [String!] tags: [TagInput!] count: Int }
  type Device { id: ID! name: String }
  type Query {
    devices(first: Int, after: String): [Device!]
    device(id: ID!): Device
    byLabels(labels: [String!]!): [Device!]
  }
  type Mutation { createDevice(input: DeviceInput!, dryRun: Boolean): Device }
`);

/** The errors graphql-js reports when coercing `variables` for the (only) operation of `source`. */
function coercionErrors(source: string, variables: Record<string, unknown>): { document: DocumentNode; errors: readonly GraphQLError[] } {
  const document = parse(source);
  const operation = document.definitions[0] as OperationDefinitionNode;
  const result = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  return { document, errors: result.errors ?? [] };
}

/** The errors graphql-js's validation reports for `source`. */
function validationErrors(source: string): { document: DocumentNode; errors: readonly GraphQLError[] } {
  const document = parse(source);
  return { document, errors: validate(schema, document) };
}

/** fieldOfError of the single error produced, as Apollo hands it over (formatted). */
function fieldOf({ document, errors }: { document: DocumentNode; errors: readonly GraphQLError[] }): string | undefined {
  expect(errors).toHaveLength(1);
  return fieldOfError(errors[0]!.toJSON(), document);
}

const createWithVariable = 'mutation M($i: DeviceInput!) { createDevice(input: $i) { id } }';

describe('fieldOfError for variables that fail coercion', () => {
  it('names the argument the variable is passed to, plus the path inside it: input.name', () => {
    expect(fieldOf(coercionErrors(createWithVariable, { i: { name: 5 } }))).toBe('input.name');
  });

  it('names a list item by index: input.labels.1', () => {
    expect(fieldOf(coercionErrors(createWithVariable, { i: { name: 'x', labels: ['a', 5] } }))).toBe('input.labels.1');
  });

  it('names a field of an object inside a list: input.tags.1.key', () => {
    expect(fieldOf(coercionErrors(createWithVariable, { i: { name: 'x', tags: [{ key: 'a' }, { key: 1 }] } }))).toBe('input.tags.1.key');
  });

  it('names a field the input type does not define: input.colour', () => {
    expect(fieldOf(coercionErrors(createWithVariable, { i: { name: 'x', colour: 'red' } }))).toBe('input.colour');
  });

  it('names the argument when a required variable is not provided', () => {
    expect(fieldOf(coercionErrors(createWithVariable, {}))).toBe('input');
  });

  it('names the argument when the variable has the wrong shape altogether', () => {
    expect(fieldOf(coercionErrors(createWithVariable, { i: 'a string' }))).toBe('input');
  });

  it('names a list argument item: labels.1', () => {
    const source = 'query Q($l: [String!]!) { byLabels(labels: $l) { id } }';
    expect(fieldOf(coercionErrors(source, { l: ['a', 5] }))).toBe('labels.1');
  });

  it('names a scalar argument: first', () => {
    const source = 'query Q($n: Int) { devices(first: $n) { id } }';
    expect(fieldOf(coercionErrors(source, { n: 'ten' }))).toBe('first');
  });

  it('names the field of an input-object literal the variable sits in: input.name', () => {
    const source = 'mutation M($n: String!) { createDevice(input: { name: $n }) { id } }';
    expect(fieldOf(coercionErrors(source, { n: 5 }))).toBe('input.name');
    expect(fieldOf(coercionErrors(source, {}))).toBe('input.name');
  });

  it('names the right argument when several variables are used', () => {
    const source = 'mutation M($i: DeviceInput!, $d: Boolean) { createDevice(input: $i, dryRun: $d) { id } }';
    expect(fieldOf(coercionErrors(source, { i: { name: 'x' }, d: 'yes' }))).toBe('dryRun');
    expect(fieldOf(coercionErrors(source, { i: { name: 'x', count: 1.5 }, d: true }))).toBe('input.count');
  });

  it('names nothing for a variable that is not used as an argument', () => {
    const source = 'query Q($n: Int) { devices { id } }';
    const { document, errors } = coercionErrors(source, { n: 'ten' });
    expect(errors).toHaveLength(1);
    expect(fieldOfError(errors[0]!.toJSON(), document)).toBeUndefined();
  });

  it('names the argument when a non-null variable is explicitly null', () => {
    expect(fieldOf(coercionErrors(createWithVariable, { i: null }))).toBe('input');
  });

  // Named like the resolvers' own validation would name it.
  it('names a missing required field inside a variable: input.name', () => {
    expect(fieldOf(coercionErrors(createWithVariable, { i: {} }))).toBe('input.name');
  });
});

describe('fieldOfError for literals that fail validation', () => {
  it('names a missing required argument', () => {
    expect(fieldOf(validationErrors('mutation { createDevice { id } }'))).toBe('input');
  });

  it('names an input-object field of the wrong type: input.name', () => {
    expect(fieldOf(validationErrors('mutation { createDevice(input: { name: 5 }) { id } }'))).toBe('input.name');
  });

  it('names a list item literal: input.labels.1', () => {
    expect(fieldOf(validationErrors('mutation { createDevice(input: { name: "x", labels: ["a", 5] }) { id } }'))).toBe('input.labels.1');
  });

  it('names a field of an object in a list: input.tags.1.key', () => {
    const source = 'mutation { createDevice(input: { name: "x", tags: [{ key: "a" }, { key: 1 }] }) { id } }';
    expect(fieldOf(validationErrors(source))).toBe('input.tags.1.key');
  });

  it('names an undefined input field: input.colour', () => {
    expect(fieldOf(validationErrors('mutation { createDevice(input: { name: "x", colour: "red" }) { id } }'))).toBe('input.colour');
  });

  it('names scalar arguments: first, dryRun', () => {
    expect(fieldOf(validationErrors('{ devices(first: "ten") { id } }'))).toBe('first');
    expect(fieldOf(validationErrors('mutation { createDevice(input: { name: "x" }, dryRun: 3) { id } }'))).toBe('dryRun');
  });

  it('finds the value on a later line of a multi-line document', () => {
    const source = `mutation {
  createDevice(
    input: {
      name: "x"
      labels: ["ok", 42]
    }
  ) { id }
}`;
    expect(fieldOf(validationErrors(source))).toBe('input.labels.1');
  });

  it('names nothing for an error that is not about an argument value', () => {
    const { document, errors } = validationErrors('{ devices { colour } }');
    expect(errors).toHaveLength(1);
    expect(fieldOfError(errors[0]!.toJSON(), document)).toBeUndefined();
  });

  it('names nothing for an error without a location', () => {
    const document = parse('{ devices { id } }');
    expect(fieldOfError({ message: 'Something else' }, document)).toBeUndefined();
  });
});

describe('errorFieldsPlugin (with the UMP error formatter, as the gateway uses it)', () => {
  const server = new ApolloServer({
    schema,
    formatError: createErrorFormatter(() => undefined),
    plugins: [errorFieldsPlugin()],
  });
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  async function errorsOf(query: string, variables?: Record<string, unknown>) {
    const response = await server.executeOperation({ query, variables });
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return response.body.singleResult.errors ?? [];
  }

  it('adds extensions.field to a variable coercion error', async () => {
    const [error] = await errorsOf(createWithVariable, { i: { name: 'x', labels: ['a', 5] } });
    expect(error?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.labels.1' });
  });

  it('adds extensions.field to a validation error of a literal', async () => {
    const [error] = await errorsOf('mutation { createDevice(input: { name: "x", colour: "red" }) { id } }');
    expect(error?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.colour' });
  });

  it('leaves errors that name no argument without a field', async () => {
    const [error] = await errorsOf('{ devices { colour } }');
    expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error?.extensions).not.toHaveProperty('field');
  });

  it('leaves a query that does not parse alone (no document, no field)', async () => {
    const [error] = await errorsOf('{ devices(first: ) { id }');
    expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error?.extensions).not.toHaveProperty('field');
  });
});
