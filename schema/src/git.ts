import { execFileSync } from 'node:child_process';
import { BaseSupergraph } from './check';

/** Runs git in `root`; returns stdout, or null if git exits non-zero (or is not installed). */
function git(root: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch {
    return null;
  }
}

/**
 * Reads `relativePath` as committed at `ref` (default HEAD) for the breaking-change check.
 * Skips (not fails) when there is no base to compare with: not a git repo, no commits yet,
 * or the file is not in that commit (first introduction). An explicitly requested ref that
 * does not resolve is an error, because silently skipping would let CI miss real breaks.
 */
export function readBaseSupergraph(root: string, relativePath: string, ref: string, explicit: boolean): BaseSupergraph {
  if (git(root, ['rev-parse', '--is-inside-work-tree']) === null) {
    return explicit ? { ref, error: 'not inside a git work tree' } : { ref, skipped: 'not inside a git work tree' };
  }
  if (git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]) === null) {
    if (explicit) return { ref, error: `git ref "${ref}" does not resolve to a commit (fetch it first in CI?)` };
    return { ref, skipped: `no commit at ${ref} yet (new repository?); nothing to compare with` };
  }
  // `./path` is resolved against cwd by git, so this works wherever the repo root is.
  const sdl = git(root, ['show', `${ref}:./${relativePath}`]);
  if (sdl === null) return { ref, skipped: `${relativePath} does not exist at ${ref} yet; nothing to compare with` };
  return { ref, sdl };
}
