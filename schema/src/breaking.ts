import { Change, CriticalityLevel, diff } from '@graphql-inspector/core';
import { Allowance } from './allowance';
import { toApiSchema } from './api-schema';

/** A change as shown in reports: enough to find it and to write an allowance for it. */
export interface SchemaChange {
  path: string;
  type: string;
  message: string;
}

export interface BreakingReport {
  /** Breaking changes with no allowance: these fail the check. */
  breaking: SchemaChange[];
  /** Breaking changes excused by an allowance entry. */
  allowed: { change: SchemaChange; allowance: Allowance }[];
  /** Changes that may alter client behaviour without breaking validation (warnings). */
  dangerous: SchemaChange[];
  safeCount: number;
  /** Allowance entries matching no breaking change: the break has shipped, remove them. */
  staleAllowances: Allowance[];
}

function toSchemaChange(change: Change): SchemaChange {
  // A few schema-level changes (e.g. root type changes) have no path; '' keeps matching simple.
  return { path: change.path ?? '', type: change.type, message: change.message };
}

function matches(allowance: Allowance, change: SchemaChange): boolean {
  return allowance.path === change.path && allowance.type === change.type;
}

/**
 * Compares the public API schemas of two supergraph SDLs with graphql-inspector and sorts the
 * changes: BREAKING changes fail unless an allowance entry has the same `path` and `type`;
 * DANGEROUS changes are warnings. Elements hidden by @inaccessible are not in either API
 * schema, so adding or removing them is never reported.
 * Throws if either SDL is not a valid supergraph.
 */
export async function compareSupergraphs(
  baseSupergraphSdl: string,
  newSupergraphSdl: string,
  allowances: Allowance[],
): Promise<BreakingReport> {
  const changes = await diff(toApiSchema(baseSupergraphSdl), toApiSchema(newSupergraphSdl));
  const report: BreakingReport = { breaking: [], allowed: [], dangerous: [], safeCount: 0, staleAllowances: [] };
  const used = new Set<Allowance>();

  for (const raw of changes) {
    const change = toSchemaChange(raw);
    switch (raw.criticality.level) {
      case CriticalityLevel.Breaking: {
        const allowance = allowances.find((entry) => matches(entry, change));
        if (allowance) {
          used.add(allowance);
          report.allowed.push({ change, allowance });
        } else {
          report.breaking.push(change);
        }
        break;
      }
      case CriticalityLevel.Dangerous:
        report.dangerous.push(change);
        break;
      default:
        report.safeCount += 1;
    }
  }
  report.staleAllowances = allowances.filter((entry) => !used.has(entry));
  return report;
}
