import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { OperationFile } from './operations';

/** Reads a UTF-8 file, or returns null if it does not exist. Other read errors throw. */
export function readTextIfExists(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

/**
 * Reads every `*.graphql` file under `dir` (recursively), sorted by path so reports are
 * stable. Paths in the result are relative to `root`. A missing directory yields [].
 */
export function readOperationFiles(root: string, dir: string): OperationFile[] {
  if (!existsSync(dir)) return [];
  return walk(dir)
    .filter((path) => path.endsWith('.graphql'))
    .sort()
    .map((path) => ({ file: relative(root, path), source: readFileSync(path, 'utf8') }));
}
