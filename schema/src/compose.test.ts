import { parse } from 'graphql';
import { countApiTypes, toApiSchema } from './api-schema';
import { composeSubgraphSdls, composeSupergraph, isComposeFailure, renderSupergraphFile, SUPERGRAPH_HEADER } from './compose';
import { readOperationFiles } from './files';
import { validateOperations } from './operations';
import { fromRoot, OPERATIONS_DIR, REPO_ROOT } from './paths';
import { listSubgraphs } from './subgraphs';
import { subgraphSdl } from './testing';

describe('composeSubgraphSdls', () => {
  it('reports composition errors instead of throwing', () => {
    // Two subgraphs resolving the same non-@shareable field is a classic federation error.
    const result = composeSubgraphSdls([
      { name: 'a', url: 'http://a', sdl: subgraphSdl('type Query { hello: String }') },
      { name: 'b', url: 'http://b', sdl: subgraphSdl('type Query { hello: Int }') },
    ]);
    expect(isComposeFailure(result)).toBe(true);
    if (!isComposeFailure(result)) return;
    expect(result.errors.length).toBeGreaterThan(0);
    expect(result.errors.join('\n')).toMatch(/hello/);
  });

  it('reports SDL syntax errors with the subgraph name', () => {
    const result = composeSubgraphSdls([{ name: 'broken', url: 'http://x', sdl: 'type Query { oops' }]);
    expect(isComposeFailure(result) && result.errors[0]).toMatch(/^\[broken\] Syntax Error/);
  });

  it('treats an empty subgraph list as an error', () => {
    expect(isComposeFailure(composeSubgraphSdls([]))).toBe(true);
  });

  it('puts the subgraph URLs in the supergraph as defaults', () => {
    const result = composeSubgraphSdls([{ name: 'tenant', url: 'http://localhost:4001/graphql', sdl: subgraphSdl('type Query { a: Int }') }]);
    expect(isComposeFailure(result)).toBe(false);
    if (isComposeFailure(result)) return;
    expect(result.supergraphSdl).toContain('url: "http://localhost:4001/graphql"');
  });
});

describe('renderSupergraphFile', () => {
  it('starts with the generated-file header and ends with one newline', () => {
    const text = renderSupergraphFile('type Query { a: Int }\n\n');
    expect(text.split('\n')[0]).toBe(SUPERGRAPH_HEADER);
    expect(text.endsWith('}\n')).toBe(true);
    expect(() => parse(text)).not.toThrow(); // the header is a comment, so the file still parses
  });
});

describe('the real subgraphs in this repo', () => {
  const result = composeSupergraph(REPO_ROOT);

  it('compose without errors', () => {
    if (isComposeFailure(result)) throw new Error(result.errors.join('\n'));
    expect(result.subgraphs).toEqual(listSubgraphs(REPO_ROOT).map((s) => s.name));
    expect(result.subgraphs).toEqual(expect.arrayContaining(['tenant', 'device']));
  });

  it('hide @inaccessible internals from the API schema', () => {
    if (isComposeFailure(result)) throw new Error(result.errors.join('\n'));
    const api = toApiSchema(result.supergraphSdl);
    expect(api.getQueryType()?.getFields()).toHaveProperty('devices');
    expect(api.getQueryType()?.getFields()).not.toHaveProperty('authenticateApiKey');
    expect(api.getType('ApiKeyIdentity')).toBeUndefined();
    expect(api.getType('join__Graph')).toBeUndefined();
    expect(countApiTypes(api)).toBeGreaterThan(10);
  });

  it('accept every seeded client operation', () => {
    if (isComposeFailure(result)) throw new Error(result.errors.join('\n'));
    const files = readOperationFiles(REPO_ROOT, fromRoot(REPO_ROOT, OPERATIONS_DIR));
    expect(files.length).toBeGreaterThanOrEqual(7);
    expect(validateOperations(toApiSchema(result.supergraphSdl), files)).toEqual([]);
  });
});
