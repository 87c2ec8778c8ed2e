import { join, resolve } from 'node:path';

/** The monorepo root, derived from this file's location so the CLIs work from any cwd. */
export const REPO_ROOT = resolve(__dirname, '..', '..');

/** Repo-relative locations used by the compose and check commands. */
export const SUPERGRAPH_FILE = 'schema/supergraph.graphql';
export const ALLOWANCE_FILE = 'schema/breaking-allowed.json';
export const OPERATIONS_DIR = 'schema/operations';

export function fromRoot(root: string, relativePath: string): string {
  return join(root, relativePath);
}
