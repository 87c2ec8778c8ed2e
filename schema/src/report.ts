import { CheckReport } from './check';
import { ALLOWANCE_FILE, SUPERGRAPH_FILE } from './paths';

const COMPOSE_HINT = `run \`npm run schema:compose\` and commit ${SUPERGRAPH_FILE}`;

/**
 * Renders a check report for humans and CI logs: one PASS/FAIL/WARN/SKIP line per finding,
 * plus what to do about each failure. Pure; the caller decides where to print it.
 */
export function formatReport(report: CheckReport): string {
  const out: string[] = [];
  const line = (tag: 'PASS' | 'FAIL' | 'WARN' | 'SKIP' | 'INFO', text: string) => out.push(`${tag}  ${text}`);
  const detail = (text: string) => out.push(`        ${text}`);

  // a. composition
  if (report.compositionErrors.length > 0) {
    line('FAIL', `composition: ${report.compositionErrors.length} error(s)`);
    report.compositionErrors.forEach((error) => detail(`- ${error}`));
  } else {
    line('PASS', `composition: ${report.subgraphs.length} subgraph(s) (${report.subgraphs.join(', ')})`);
  }

  // b. committed supergraph freshness
  if (report.freshness === 'fresh') line('PASS', `${SUPERGRAPH_FILE} is up to date`);
  if (report.freshness === 'stale') line('FAIL', `${SUPERGRAPH_FILE} is stale: ${COMPOSE_HINT}`);
  if (report.freshness === 'missing') line('FAIL', `${SUPERGRAPH_FILE} does not exist: ${COMPOSE_HINT}`);
  if (report.freshness === 'not-checked') line('SKIP', `${SUPERGRAPH_FILE} freshness: composition failed`);

  // c. allowance file and breaking changes
  if (report.allowanceErrors.length > 0) {
    line('FAIL', `${ALLOWANCE_FILE} is invalid (invalid entries allow nothing):`);
    report.allowanceErrors.forEach((error) => detail(`- ${error}`));
  }
  const breaking = report.breaking;
  if ('skipped' in breaking) {
    line('SKIP', `breaking changes against ${breaking.ref}: ${breaking.skipped}`);
    if (report.allowanceCount > 0) detail(`${report.allowanceCount} allowance entry(ies) not evaluated`);
  } else if ('error' in breaking) {
    line('FAIL', `breaking changes against ${breaking.ref}: ${breaking.error}`);
  } else {
    const { breaking: unallowed, allowed, dangerous, safeCount, staleAllowances } = breaking.result;
    if (unallowed.length === 0) {
      line('PASS', `no unapproved breaking changes against ${breaking.ref} (${safeCount} safe change(s))`);
    } else {
      line('FAIL', `${unallowed.length} breaking change(s) against ${breaking.ref}:`);
      unallowed.forEach((c) => detail(`- ${c.type} ${c.path || '(schema)'}: ${c.message}`));
      detail(`Prefer a non-breaking path (add, deprecate, remove later). If the break is intended,`);
      detail(`add a reviewed entry per change to ${ALLOWANCE_FILE}, e.g.:`);
      unallowed.forEach((c) =>
        detail(`  ${JSON.stringify({ path: c.path, type: c.type, reason: '<why acceptable>', approvedBy: '<reviewer>' })}`),
      );
    }
    allowed.forEach(({ change, allowance }) =>
      line('INFO', `allowed breaking change ${change.type} ${change.path}: ${allowance.reason} (approved by ${allowance.approvedBy})`),
    );
    dangerous.forEach((c) => line('WARN', `dangerous change ${c.type} ${c.path || '(schema)'}: ${c.message}`));
    staleAllowances.forEach((a) =>
      line('WARN', `stale allowance ${a.type} ${a.path} matches no change against ${breaking.ref}; remove it from ${ALLOWANCE_FILE}`),
    );
  }

  // d. client operations
  const operations = report.operations;
  if ('skipped' in operations) {
    line('SKIP', `client operations: ${operations.skipped}`);
  } else if (operations.problems.length === 0) {
    line('PASS', `client operations: ${operations.checked} file(s) valid against the new API schema`);
  } else {
    line('FAIL', `client operations: ${operations.problems.length} problem(s) in ${operations.checked} file(s):`);
    operations.problems.forEach((p) =>
      detail(`- ${p.file}${p.location ? `:${p.location}` : ''} [${p.operation}] ${p.message}`),
    );
  }

  out.push('', report.ok ? 'Schema check passed.' : 'Schema check FAILED.');
  return out.join('\n');
}
