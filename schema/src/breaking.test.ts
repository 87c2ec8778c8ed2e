import { Allowance } from './allowance';
import { compareSupergraphs } from './breaking';
import { BASE_BODY, baseSupergraph, composeOk } from './testing';

const withBody = (body: string) => composeOk({ tenant: body }).supergraphSdl;
const approved: Allowance = { path: 'Query.tenants', type: 'FIELD_REMOVED', reason: 'no client uses it', approvedBy: 'api-review' };

describe('compareSupergraphs', () => {
  it('reports a removed field as BREAKING', async () => {
    const report = await compareSupergraphs(baseSupergraph(), withBody(BASE_BODY.replace('tenants: [Tenant!]!', '')), []);
    expect(report.breaking).toEqual([expect.objectContaining({ path: 'Query.tenants', type: 'FIELD_REMOVED' })]);
  });

  it('moves a breaking change to `allowed` when an entry matches path and type', async () => {
    const report = await compareSupergraphs(baseSupergraph(), withBody(BASE_BODY.replace('tenants: [Tenant!]!', '')), [approved]);
    expect(report.breaking).toEqual([]);
    expect(report.allowed).toEqual([{ change: expect.objectContaining({ path: 'Query.tenants' }), allowance: approved }]);
    expect(report.staleAllowances).toEqual([]);
  });

  it('does not let an entry for another path excuse the change, and reports it stale', async () => {
    const other = { ...approved, path: 'Query.tenant' };
    const report = await compareSupergraphs(baseSupergraph(), withBody(BASE_BODY.replace('tenants: [Tenant!]!', '')), [other]);
    expect(report.breaking).toHaveLength(1);
    expect(report.staleAllowances).toEqual([other]);
  });

  it('treats an added optional field as safe', async () => {
    const report = await compareSupergraphs(baseSupergraph(), withBody(BASE_BODY.replace('plan: String!', 'plan: String!\n    region: String')), []);
    expect(report.breaking).toEqual([]);
    expect(report.safeCount).toBeGreaterThan(0);
  });

  it('ignores removal of an @inaccessible field: it was never in the API schema', async () => {
    const newSdl = withBody(BASE_BODY.replace('internalLookup(key: String!): String @inaccessible', ''));
    const report = await compareSupergraphs(baseSupergraph(), newSdl, []);
    expect(report).toEqual({ breaking: [], allowed: [], dangerous: [], safeCount: 0, staleAllowances: [] });
  });

  it('reports hiding a public field with @inaccessible as BREAKING: clients lose it', async () => {
    const report = await compareSupergraphs(baseSupergraph(), withBody(BASE_BODY.replace('plan: String!', 'plan: String! @inaccessible')), []);
    expect(report.breaking).toEqual([expect.objectContaining({ path: 'Tenant.plan', type: 'FIELD_REMOVED' })]);
  });

  it('reports an added enum value as dangerous, not breaking', async () => {
    const base = withBody(`${BASE_BODY} enum Role { ADMIN } extend type Query { roles: [Role!]! }`);
    const next = withBody(`${BASE_BODY} enum Role { ADMIN VIEWER } extend type Query { roles: [Role!]! }`);
    const report = await compareSupergraphs(base, next, []);
    expect(report.breaking).toEqual([]);
    expect(report.dangerous).toEqual([expect.objectContaining({ path: 'Role.VIEWER', type: 'ENUM_VALUE_ADDED' })]);
  });
});
