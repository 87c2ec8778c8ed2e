import { ChangeType } from '@graphql-inspector/core';

/** One reviewed exception in `schema/breaking-allowed.json`. */
export interface Allowance {
  /** The inspector change path, e.g. `Query.tenants` or `Device.labels`. */
  path: string;
  /** The inspector change type, e.g. `FIELD_REMOVED`. */
  type: string;
  /** Why breaking clients is acceptable here (e.g. "unused since partner API v2"). */
  reason: string;
  /** Who reviewed and approved the break. */
  approvedBy: string;
}

export interface AllowanceParseResult {
  /** Only the valid entries; an invalid entry never allows anything. */
  allowances: Allowance[];
  errors: string[];
}

const KNOWN_TYPES = new Set<string>(Object.values(ChangeType));

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0;
}

/**
 * Parses and validates the allowance file text. `null` (file absent) means no allowances.
 * Never throws: invalid JSON, a non-array, an unknown change type or an entry missing
 * `path`, `type`, `reason` or `approvedBy` are reported in `errors`, and such entries are
 * left out so they cannot excuse a breaking change.
 */
export function parseAllowances(text: string | null): AllowanceParseResult {
  if (text === null || text.trim() === '') return { allowances: [], errors: [] };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { allowances: [], errors: [`not valid JSON: ${(error as Error).message}`] };
  }
  if (!Array.isArray(data)) {
    return { allowances: [], errors: ['must be a JSON array of { path, type, reason, approvedBy }'] };
  }

  const allowances: Allowance[] = [];
  const errors: string[] = [];
  data.forEach((entry: unknown, index) => {
    const label = `entry #${index + 1}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      errors.push(`${label}: must be an object`);
      return;
    }
    const { path, type, reason, approvedBy } = entry as Record<string, unknown>;
    const where = nonEmptyString(path) && nonEmptyString(type) ? `${label} (${type} ${path})` : label;
    const problems: string[] = [];
    if (!nonEmptyString(path)) problems.push('"path" is missing');
    if (!nonEmptyString(type)) problems.push('"type" is missing');
    else if (!KNOWN_TYPES.has(type)) problems.push(`"type" ${JSON.stringify(type)} is not an inspector change type`);
    // A break nobody can explain or vouch for is exactly what this file exists to prevent.
    if (!nonEmptyString(reason)) problems.push('"reason" is missing: say why this break is acceptable');
    if (!nonEmptyString(approvedBy)) problems.push('"approvedBy" is missing: name who reviewed it');
    if (problems.length > 0) {
      errors.push(`${where}: ${problems.join('; ')}`);
      return;
    }
    allowances.push({
      path: (path as string).trim(),
      type: (type as string).trim(),
      reason: (reason as string).trim(),
      approvedBy: (approvedBy as string).trim(),
    });
  });
  return { allowances, errors };
}
