import { Allowance, parseAllowances } from './allowance';
import { toApiSchema } from './api-schema';
import { BreakingReport, compareSupergraphs } from './breaking';
import { ComposeResult, isComposeFailure, renderSupergraphFile } from './compose';
import { OperationFile, OperationProblem, validateOperations } from './operations';

/** The supergraph to diff against, or why there is none (see `readBaseSupergraph`). */
export type BaseSupergraph =
  | { ref: string; sdl: string }
  /** Nothing to compare with (e.g. no commits yet): the breaking-change check is skipped. */
  | { ref: string; skipped: string }
  /** The base was asked for but cannot be read (e.g. unknown --base ref): the check fails. */
  | { ref: string; error: string };

export interface CheckInput {
  composition: ComposeResult;
  /** Working-tree text of schema/supergraph.graphql; null when the file does not exist. */
  committedSupergraph: string | null;
  base: BaseSupergraph;
  /** Text of schema/breaking-allowed.json; null when the file does not exist. */
  allowanceText: string | null;
  operations: OperationFile[];
}

export type Freshness = 'fresh' | 'stale' | 'missing' | 'not-checked';

export type BreakingSection =
  | { ref: string; result: BreakingReport }
  | { ref: string; skipped: string }
  | { ref: string; error: string };

export type OperationsSection = { checked: number; problems: OperationProblem[] } | { skipped: string };

export interface CheckReport {
  ok: boolean;
  subgraphs: string[];
  compositionErrors: string[];
  freshness: Freshness;
  allowanceErrors: string[];
  /** Number of valid allowance entries, for reporting when the diff is skipped. */
  allowanceCount: number;
  breaking: BreakingSection;
  operations: OperationsSection;
}

function normalise(text: string): string {
  // A Windows checkout with autocrlf must not make the file look stale.
  return text.replace(/\r\n/g, '\n');
}

async function checkBreaking(base: BaseSupergraph, newSdl: string, allowances: Allowance[]): Promise<BreakingSection> {
  if ('skipped' in base || 'error' in base) return base;
  try {
    return { ref: base.ref, result: await compareSupergraphs(base.sdl, newSdl, allowances) };
  } catch (error) {
    return { ref: base.ref, error: `cannot compare with the supergraph at ${base.ref}: ${(error as Error).message}` };
  }
}

/**
 * Runs every schema check on already-loaded inputs; performs no I/O, so tests can feed it SDL
 * strings. `ok` is false on any of: composition errors, a missing or stale committed
 * supergraph, an invalid allowance file, an unreadable base, a breaking change without a
 * valid allowance, or a client operation that does not validate. When composition fails the
 * other checks are skipped, because they need the new supergraph. Never throws.
 */
export async function runCheck(input: CheckInput): Promise<CheckReport> {
  const { allowances, errors: allowanceErrors } = parseAllowances(input.allowanceText);
  const composition = input.composition;
  if (isComposeFailure(composition)) {
    return {
      ok: false,
      subgraphs: [],
      compositionErrors: composition.errors,
      freshness: 'not-checked',
      allowanceErrors,
      allowanceCount: allowances.length,
      breaking: { ref: input.base.ref, skipped: 'composition failed' },
      operations: { skipped: 'composition failed' },
    };
  }

  const expected = renderSupergraphFile(composition.supergraphSdl);
  const freshness: Freshness =
    input.committedSupergraph === null
      ? 'missing'
      : normalise(input.committedSupergraph) === expected
        ? 'fresh'
        : 'stale';

  const breaking = await checkBreaking(input.base, composition.supergraphSdl, allowances);
  const problems = validateOperations(toApiSchema(composition.supergraphSdl), input.operations);
  const operations = { checked: input.operations.length, problems };

  const ok =
    freshness === 'fresh' &&
    allowanceErrors.length === 0 &&
    !('error' in breaking) &&
    !('result' in breaking && breaking.result.breaking.length > 0) &&
    problems.length === 0;

  return {
    ok,
    subgraphs: composition.subgraphs,
    compositionErrors: [],
    freshness,
    allowanceErrors,
    allowanceCount: allowances.length,
    breaking,
    operations,
  };
}
