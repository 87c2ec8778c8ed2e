#!/usr/bin/env node
// Runs `prisma generate` for @ump/db with the package's own Prisma CLI, from any cwd.
//
// The Prisma CLI insists that the native schema-engine binary exists before *any*
// command, and downloads it from binaries.prisma.sh when it is missing. `generate` never
// runs that engine (the client is built with the bundled Wasm), so where the binary is
// absent and cannot be downloaded (offline installs, CI without internet) this script
// points PRISMA_SCHEMA_ENGINE_BINARY at an existing placeholder file for this one run:
// the CLI only checks that the file exists. Commands that do need the engine (migrate
// dev/diff, db push) are not run through this script.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const packageDir = path.resolve(__dirname, '..');

/** Directory of the `prisma` package this workspace depends on. */
function prismaPackageDir() {
  return path.dirname(require.resolve('prisma/package.json', { paths: [packageDir] }));
}

/**
 * Path where the CLI looks for the native schema engine: @prisma/engines' folder plus
 * `schema-engine-<binary target>` (the same name @prisma/fetch-engine downloads to).
 * Returns undefined when the target cannot be determined.
 */
function expectedEnginePath(prismaDir) {
  try {
    const enginesDir = path.dirname(require.resolve('@prisma/engines/package.json', { paths: [prismaDir] }));
    const { getBinaryTargetForCurrentPlatform } = require(
      require.resolve('@prisma/get-platform', { paths: [enginesDir] }),
    );
    return getBinaryTargetForCurrentPlatform().then((target) =>
      path.join(enginesDir, `schema-engine-${target}${target === 'windows' ? '.exe' : ''}`),
    );
  } catch {
    return Promise.resolve(undefined);
  }
}

/**
 * Environment for the CLI: unchanged when the engine binary is present or the caller
 * already chose one; otherwise with PRISMA_SCHEMA_ENGINE_BINARY set to this script (an
 * existing, non-executable file, so anything that did try to run it would fail loudly).
 */
async function cliEnvironment(prismaDir) {
  const env = { ...process.env };
  if (env.PRISMA_SCHEMA_ENGINE_BINARY) return { env, placeholder: false };
  const enginePath = await expectedEnginePath(prismaDir);
  if (enginePath && fs.existsSync(enginePath)) return { env, placeholder: false };
  env.PRISMA_SCHEMA_ENGINE_BINARY = __filename;
  return { env, placeholder: true };
}

async function main() {
  const prismaDir = prismaPackageDir();
  const cli = path.join(prismaDir, 'build', 'index.js');
  const { env, placeholder } = await cliEnvironment(prismaDir);
  if (placeholder) {
    console.log('@ump/db: schema-engine binary not installed; generate does not need it, using a placeholder path.');
  }
  const result = spawnSync(process.execPath, [cli, 'generate', ...process.argv.slice(2)], {
    cwd: packageDir,
    env,
    stdio: 'inherit',
  });
  if (result.error) throw result.error;
  process.exitCode = result.status ?? 1;
}

main().catch((error) => {
  console.error(`@ump/db: prisma generate failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
