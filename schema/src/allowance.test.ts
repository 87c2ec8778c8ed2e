import { parseAllowances } from './allowance';

const valid = { path: 'Query.tenants', type: 'FIELD_REMOVED', reason: 'replaced by Query.tenantsV2', approvedBy: 'api-review' };

describe('parseAllowances', () => {
  it('treats a missing or empty file as no allowances', () => {
    expect(parseAllowances(null)).toEqual({ allowances: [], errors: [] });
    expect(parseAllowances('[]')).toEqual({ allowances: [], errors: [] });
  });

  it('accepts a complete entry', () => {
    expect(parseAllowances(JSON.stringify([valid]))).toEqual({ allowances: [valid], errors: [] });
  });

  it('rejects an entry without reason or approvedBy, and drops it', () => {
    const result = parseAllowances(JSON.stringify([{ ...valid, reason: ' ' }, { ...valid, approvedBy: undefined }]));
    expect(result.allowances).toEqual([]);
    expect(result.errors).toHaveLength(2);
    expect(result.errors[0]).toMatch(/"reason" is missing/);
    expect(result.errors[1]).toMatch(/"approvedBy" is missing/);
  });

  it('rejects unknown change types, non-arrays and invalid JSON', () => {
    expect(parseAllowances(JSON.stringify([{ ...valid, type: 'FIELD_GONE' }])).errors[0]).toMatch(/not an inspector change type/);
    expect(parseAllowances('{}').errors[0]).toMatch(/must be a JSON array/);
    expect(parseAllowances('[').errors[0]).toMatch(/not valid JSON/);
  });
});
