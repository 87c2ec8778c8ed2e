import { BaseSupergraph, CheckInput, runCheck } from './check';
import { composeSubgraphSdls, renderSupergraphFile } from './compose';
import { formatReport } from './report';
import { BASE_BODY, baseSupergraph, subgraphSdl } from './testing';

const compose = (body: string) => composeSubgraphSdls([{ name: 'tenant', url: 'http://localhost:4001/graphql', sdl: subgraphSdl(body) }]);
const withoutTenants = BASE_BODY.replace('tenants: [Tenant!]!', '');
const removal = { path: 'Query.tenants', type: 'FIELD_REMOVED', reason: 'console v3 no longer lists tenants', approvedBy: 'jane@ump' };

/** A check of `newBody` against the baseline, with a fresh committed supergraph by default. */
function input(newBody: string, overrides: Partial<CheckInput> = {}): CheckInput {
  const composition = compose(newBody);
  return {
    composition,
    committedSupergraph: 'supergraphSdl' in composition ? renderSupergraphFile(composition.supergraphSdl) : null,
    base: { ref: 'HEAD', sdl: baseSupergraph() },
    allowanceText: null,
    operations: [],
    ...overrides,
  };
}

describe('runCheck', () => {
  it('passes an unchanged schema', async () => {
    const report = await runCheck(input(BASE_BODY));
    expect(report.ok).toBe(true);
    expect(formatReport(report)).toMatch(/Schema check passed/);
  });

  it('fails on composition errors and skips the checks that need a supergraph', async () => {
    const report = await runCheck(input('type Query { a: Strin }'));
    expect(report.ok).toBe(false);
    expect(report.compositionErrors.length).toBeGreaterThan(0);
    expect(report.breaking).toEqual({ ref: 'HEAD', skipped: 'composition failed' });
    expect(formatReport(report)).toMatch(/FAIL {2}composition: \d+ error/);
  });

  it('fails when the committed supergraph is stale or missing', async () => {
    const stale = await runCheck(input(BASE_BODY, { committedSupergraph: renderSupergraphFile(baseSupergraph()).replace('Tenant', 'Tenant ') }));
    expect(stale.freshness).toBe('stale');
    expect(stale.ok).toBe(false);
    expect(formatReport(stale)).toContain('run `npm run schema:compose` and commit schema/supergraph.graphql');
    const missing = await runCheck(input(BASE_BODY, { committedSupergraph: null }));
    expect(missing.freshness).toBe('missing');
    expect(missing.ok).toBe(false);
  });

  it('does not call a CRLF checkout stale', async () => {
    const crlf = renderSupergraphFile(baseSupergraph()).replace(/\n/g, '\r\n');
    expect((await runCheck(input(BASE_BODY, { committedSupergraph: crlf }))).freshness).toBe('fresh');
  });

  it('fails on a removed field and prints a ready-to-fill allowance entry', async () => {
    const report = await runCheck(input(withoutTenants));
    expect(report.ok).toBe(false);
    expect(formatReport(report)).toContain('"path":"Query.tenants","type":"FIELD_REMOVED"');
  });

  it('passes the same removal with a valid allowance entry', async () => {
    const report = await runCheck(input(withoutTenants, { allowanceText: JSON.stringify([removal]) }));
    expect(report.ok).toBe(true);
    expect(formatReport(report)).toContain('allowed breaking change FIELD_REMOVED Query.tenants');
  });

  it('fails when the allowance entry has no reason', async () => {
    const { reason: _omitted, ...noReason } = removal;
    const report = await runCheck(input(withoutTenants, { allowanceText: JSON.stringify([noReason]) }));
    expect(report.ok).toBe(false);
    expect(report.allowanceErrors[0]).toMatch(/"reason" is missing/);
    // The invalid entry must not excuse the break either.
    expect('result' in report.breaking && report.breaking.result.breaking).toHaveLength(1);
  });

  it('fails on an invalid allowance file even without breaking changes', async () => {
    expect((await runCheck(input(BASE_BODY, { allowanceText: '[{"path":"Query.x"}]' }))).ok).toBe(false);
  });

  it('warns about, but does not fail on, a stale allowance entry', async () => {
    const report = await runCheck(input(BASE_BODY, { allowanceText: JSON.stringify([removal]) }));
    expect(report.ok).toBe(true);
    expect(formatReport(report)).toMatch(/WARN {2}stale allowance FIELD_REMOVED Query.tenants/);
  });

  it('passes an added optional field', async () => {
    const report = await runCheck(input(BASE_BODY.replace('plan: String!', 'plan: String!\n    region: String')));
    expect(report.ok).toBe(true);
  });

  it('passes removal of an @inaccessible field', async () => {
    const report = await runCheck(input(BASE_BODY.replace('internalLookup(key: String!): String @inaccessible', '')));
    expect(report.ok).toBe(true);
  });

  it('fails when a client operation uses a removed field', async () => {
    const operations = [{ file: 'schema/operations/tenants.graphql', source: 'query Tenants { tenants { id } }' }];
    const report = await runCheck(input(withoutTenants, { allowanceText: JSON.stringify([removal]), operations }));
    expect(report.ok).toBe(false);
    expect(formatReport(report)).toContain('schema/operations/tenants.graphql:1:17 [Tenants] Cannot query field "tenants" on type "Query".');
  });

  it('passes a valid client operation', async () => {
    const operations = [{ file: 'schema/operations/tenant.graphql', source: 'query Tenant($id: ID!) { tenant(id: $id) { name } }' }];
    expect((await runCheck(input(BASE_BODY, { operations }))).ok).toBe(true);
  });

  it('skips the breaking check without a base, and fails on an unreadable base', async () => {
    const skipped: BaseSupergraph = { ref: 'HEAD', skipped: 'no commit at HEAD yet' };
    const skippedReport = await runCheck(input(withoutTenants, { base: skipped }));
    expect(skippedReport.ok).toBe(true);
    expect(formatReport(skippedReport)).toContain('SKIP  breaking changes against HEAD: no commit at HEAD yet');

    const broken: BaseSupergraph = { ref: 'origin/main', error: 'git ref "origin/main" does not resolve' };
    expect((await runCheck(input(BASE_BODY, { base: broken }))).ok).toBe(false);
    expect((await runCheck(input(BASE_BODY, { base: { ref: 'HEAD', sdl: 'type Query { a: Int }' } }))).ok).toBe(false);
  });
});
