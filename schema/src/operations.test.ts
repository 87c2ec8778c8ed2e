import { toApiSchema } from './api-schema';
import { validateOperations } from './operations';
import { BASE_BODY, baseSupergraph, composeOk } from './testing';

const query = `query Tenants { tenants { id name plan } }`;

describe('validateOperations', () => {
  it('passes a valid operation', () => {
    expect(validateOperations(toApiSchema(baseSupergraph()), [{ file: 'ops/tenants.graphql', source: query }])).toEqual([]);
  });

  it('fails an operation that uses a removed field, naming file and operation', () => {
    const schema = toApiSchema(composeOk({ tenant: BASE_BODY.replace('plan: String!', '') }).supergraphSdl);
    expect(validateOperations(schema, [{ file: 'ops/tenants.graphql', source: query }])).toEqual([
      {
        file: 'ops/tenants.graphql',
        operation: 'Tenants',
        message: 'Cannot query field "plan" on type "Tenant".',
        location: '1:35',
      },
    ]);
  });

  it('cannot select an @inaccessible field: it is not in the API schema', () => {
    const source = `query Lookup { internalLookup(key: "k") }`;
    const problems = validateOperations(toApiSchema(baseSupergraph()), [{ file: 'ops/lookup.graphql', source }]);
    expect(problems).toEqual([expect.objectContaining({ operation: 'Lookup', message: expect.stringMatching(/internalLookup/) })]);
  });

  it('attributes errors inside a fragment to that fragment', () => {
    const source = `query T { tenants { ...F } } fragment F on Tenant { nope }`;
    const problems = validateOperations(toApiSchema(baseSupergraph()), [{ file: 'f.graphql', source }]);
    expect(problems.map((p) => p.operation)).toEqual(['fragment F']);
  });

  it('reports syntax errors instead of throwing', () => {
    const problems = validateOperations(toApiSchema(baseSupergraph()), [{ file: 'bad.graphql', source: 'query {' }]);
    expect(problems).toEqual([expect.objectContaining({ file: 'bad.graphql', operation: '(document)', message: expect.stringMatching(/Syntax Error/) })]);
  });
});
