import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBaseSupergraph } from './git';

// A throwaway repository in the OS temp dir; the project's own repository is never touched.
describe('readBaseSupergraph', () => {
  let dir: string;
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], {
      cwd: dir,
      stdio: 'pipe',
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ump-schema-git-'));
    git('init', '-q');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('skips when the repository has no commits yet', () => {
    expect(readBaseSupergraph(dir, 'schema/supergraph.graphql', 'HEAD', false)).toEqual({
      ref: 'HEAD',
      skipped: expect.stringMatching(/no commit at HEAD/),
    });
  });

  it('fails when an explicit --base ref does not exist', () => {
    expect(readBaseSupergraph(dir, 'schema/supergraph.graphql', 'origin/main', true)).toEqual({
      ref: 'origin/main',
      error: expect.stringMatching(/does not resolve/),
    });
  });

  it('skips when the file is not in the base commit, and reads it once committed', () => {
    writeFileSync(join(dir, 'README'), 'x');
    git('add', '.');
    git('commit', '-q', '-m', 'first');
    expect(readBaseSupergraph(dir, 'schema/supergraph.graphql', 'HEAD', false)).toHaveProperty('skipped');

    mkdirSync(join(dir, 'schema'));
    writeFileSync(join(dir, 'schema', 'supergraph.graphql'), 'type Query { a: Int }\n');
    git('add', '.');
    git('commit', '-q', '-m', 'second');
    expect(readBaseSupergraph(dir, 'schema/supergraph.graphql', 'HEAD', false)).toEqual({ ref: 'HEAD', sdl: 'type Query { a: Int }\n' });
  });
});
