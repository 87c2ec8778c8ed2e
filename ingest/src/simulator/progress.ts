import type { ProgressSnapshot, SimulationStats } from './stats';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 100 ? `${n.toFixed(0)} ms` : n >= 10 ? `${n.toFixed(1)} ms` : `${n.toFixed(2)} ms`);

/** `timeout 3, http-429 1`, largest first; empty when nothing failed. */
export function formatFailures(failures: Record<string, number>): string {
  return Object.entries(failures)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${reason} ${int(n)}`)
    .join(', ');
}

/** One progress line, e.g. `[12s] sending  connected 10,000/10,000  sent 120,000  acked …`. */
export function formatProgress(s: ProgressSnapshot): string {
  const head = `[${Math.floor(s.elapsedMs / 1000)}s] ${s.phase}`;
  const failures = formatFailures(s.failures);
  if (s.phase === 'provisioning') return `${head}  devices ${int(s.provisioned)}/${int(s.devices)}`;
  const parts = [head, `connected ${int(s.connected)}/${int(s.devices)}`];
  if (s.phase !== 'connecting') {
    parts.push(
      `sent ${int(s.sent)}`,
      `acked ${int(s.acknowledged)}`,
      `failed ${int(s.failed)}`,
      `in flight ${int(s.inFlight)}`,
      `${int(s.msgsPerSec)} msg/s`,
      `${int(s.dataPointsPerSec)} pts/s`,
    );
    if (s.window.count) parts.push(`p95 ${ms(s.window.percentile(95))}`);
    // A sender behind its schedule measures itself, not the platform: say so.
    if (s.lagMs > 100) parts.push(`behind ${ms(s.lagMs)}`);
  }
  if (failures) parts.push(`(${failures})`);
  if (s.ota) parts.push(`ota ${int(s.ota.updated)} updated / ${int(s.ota.failed)} failed / ${int(s.ota.inProgress)} in progress`);
  return parts.join('  ');
}

/**
 * Shows progress on `stream`: one line rewritten in place (`\r`) on a terminal, one plain
 * line per update otherwise (logs, CI). Call `end()` before printing anything else.
 */
export function createProgressPrinter(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }) {
  let open = false;
  return {
    update(snapshot: ProgressSnapshot) {
      const line = formatProgress(snapshot);
      if (stream.isTTY) {
        const width = stream.columns ?? 200;
        stream.write(`\r${line.slice(0, width - 1)}\x1b[K`);
        open = true;
      } else {
        stream.write(`${line}\n`);
      }
    },
    end() {
      if (open) stream.write('\n');
      open = false;
    },
  };
}

/** The multi-line summary printed after a run. */
export function formatSummary(stats: SimulationStats): string {
  const seconds = stats.sendMs / 1000;
  const l = stats.latency.summary();
  const lines = [
    `Simulation ${stats.aborted ? 'stopped' : 'finished'} after ${seconds.toFixed(1)} s of sending`,
    `  devices       ${int(stats.connected)}/${int(stats.devices)} connected (provisioned in ${(stats.provisionMs / 1000).toFixed(1)} s, connected in ${(stats.connectMs / 1000).toFixed(1)} s)`,
    `  messages      ${int(stats.sent)} sent, ${int(stats.acknowledged)} accepted, ${int(stats.failed)} failed`,
    `  data points   ${int(stats.dataPoints)} accepted in ${int(stats.points)} points`,
    `  throughput    ${int(seconds > 0 ? stats.acknowledged / seconds : 0)} msg/s, ${int(seconds > 0 ? stats.dataPoints / seconds : 0)} data points/s`,
    `  accept        p50 ${ms(l.p50)}, p95 ${ms(l.p95)}, p99 ${ms(l.p99)}, max ${ms(l.max)}`,
  ];
  const failures = formatFailures(stats.failures);
  if (failures) lines.push(`  failures      ${failures}`);
  if (stats.ota) {
    const o = stats.ota;
    const why = formatFailures(o.failures);
    lines.push(
      `  ota           ${int(o.agents)} devices: ${int(o.updated)} updated, ${int(o.failed)} failed${why ? ` (${why})` : ''}, ${int(o.cancelled)} cancelled, ${int(o.stopped + o.inProgress)} unfinished`,
    );
    if (o.reportsLost || o.invalidMessages) lines.push(`  ota problems  ${int(o.reportsLost)} reports lost, ${int(o.invalidMessages)} invalid messages`);
  }
  return lines.join('\n');
}
