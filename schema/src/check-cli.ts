// `npm run schema:check [-- --base <git-ref>]`: the CI gate for schema changes. See check.ts.
import { composeSupergraph } from './compose';
import { runCheck } from './check';
import { readOperationFiles, readTextIfExists } from './files';
import { readBaseSupergraph } from './git';
import { ALLOWANCE_FILE, fromRoot, OPERATIONS_DIR, REPO_ROOT, SUPERGRAPH_FILE } from './paths';
import { formatReport } from './report';

const USAGE = 'usage: npm run schema:check [-- --base <git-ref>]   (default base: HEAD)';

/** Parses `--base <ref>` / `--base=<ref>`; returns an error string for anything else. */
function parseArgs(argv: string[]): { ref: string; explicit: boolean } | string {
  let ref: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--base') ref = argv[++i];
    else if (arg.startsWith('--base=')) ref = arg.slice('--base='.length);
    else return `unknown argument "${arg}"`;
    // A ref starting with "-" would be read by git as an option.
    if (!ref || ref.startsWith('-')) return '--base needs a git ref, e.g. origin/main';
  }
  return ref ? { ref, explicit: true } : { ref: 'HEAD', explicit: false };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    console.error(`${args}\n${USAGE}`);
    return 1;
  }
  const report = await runCheck({
    composition: composeSupergraph(REPO_ROOT),
    committedSupergraph: readTextIfExists(fromRoot(REPO_ROOT, SUPERGRAPH_FILE)),
    base: readBaseSupergraph(REPO_ROOT, SUPERGRAPH_FILE, args.ref, args.explicit),
    allowanceText: readTextIfExists(fromRoot(REPO_ROOT, ALLOWANCE_FILE)),
    operations: readOperationFiles(REPO_ROOT, fromRoot(REPO_ROOT, OPERATIONS_DIR)),
  });
  console.log(formatReport(report));
  return report.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error('schema:check crashed:', error);
    process.exitCode = 1;
  },
);
