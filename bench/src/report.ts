import { formatFailures, type HistogramSummary, type SimulationStats } from '@ump/ingest/src/simulator';
import type { BenchOptions } from './args';
import type { E2eResult } from './e2e';
import type { PipelineCounts } from './pipeline';
import type { ProcSummary } from './proc-stats';
import type { SteadyState } from './steady';
import { formatMs } from './svg';

/** Everything one benchmark run measured. */
export interface BenchResult {
  startedAt: Date;
  options: BenchOptions;
  /** Where the load went, e.g. "embedded platform started by the bench (pid 123)". */
  target: string;
  machine: { cpus: number; cpuModel: string; totalMemoryBytes: number; node: string; os: string; loadBefore: number[] };
  stats: SimulationStats;
  steady: SteadyState | undefined;
  e2e: E2eResult | undefined;
  /** The platform's own counts while the devices were sending (see pipeline.ts). */
  pipeline: PipelineCounts | { unavailable: string };
  processes: Array<{ name: string; summary: ProcSummary }>;
  /** File name of the latency histogram SVG, next to the report. */
  svgFile: string;
  /** The command line, for running it again. */
  command: string;
  /** The intake rate limits a started platform ran with. */
  rateLimits?: { tenantPerSecond: number; devicePerSecond: number };
}

// The embedded-mode targets of bench/README.md.
const TARGET = { devices: 10_000, p95Ms: 20, msgsPerSec: 10_000, dataPointsPerSec: 30_000 };

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number) => `${int(bytes / 2 ** 20)} MiB`;
const pct = (n: number) => `${n.toFixed(n >= 99.995 || n === 0 ? 0 : 2)} %`;
const quantiles = (l: HistogramSummary) => `${formatMs(l.p50)} / ${formatMs(l.p95)} / ${formatMs(l.p99)} / ${formatMs(l.max)}`;
const check = (ok: boolean) => (ok ? '✅ met' : '❌ not met');

/** The command line for the report, with the value of `--password` replaced by `***`. */
export function commandLine(argv: string[]): string {
  const shown = argv.map((arg, i) => (argv[i - 1] === '--password' ? '***' : arg.replace(/^--password=.*/, '--password=***')));
  return `npm run bench:ingest -- ${shown.join(' ')}`.trim();
}

/** A UTC time as a file name allows it, to the second: `2026-11-27T10-00-00Z`. */
export function fileStamp(at: Date): string {
  return at.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** The report's file name stem: `ingest-mqtt-10000d-2026-11-27T10-00-00Z`. */
export function reportStem(protocol: string, devices: number, at: Date): string {
  return `ingest-${protocol}-${devices}d-${fileStamp(at)}`;
}

/** The results as Markdown: a results table, the targets, parameters, machine and histogram. */
export function renderReport(r: BenchResult): string {
  const { stats, steady, e2e, options } = r;
  const sim = options.simulation;
  const acceptedPct = stats.sent ? (stats.acknowledged / stats.sent) * 100 : 0;
  const whole = stats.latency.summary();
  const rows: Array<[string, string]> = [
    ['devices connected', `${int(stats.connected)} / ${int(stats.devices)}`],
    ['messages sent / accepted / failed', `${int(stats.sent)} / ${int(stats.acknowledged)} / ${int(stats.failed)}`],
    ['accepted', pct(acceptedPct)],
    ['failures by reason', formatFailures(stats.failures) || 'none'],
    ['offered load', `${int(sim.devices * sim.rate)} msg/s (${int(sim.devices * sim.rate * sim.batch * sim.keys.length)} data points/s)`],
  ];
  if (steady) {
    const l = steady.latency.summary();
    rows.push(
      ['sustained throughput', `**${int(steady.msgsPerSec)} msg/s**, **${int(steady.dataPointsPerSec)} data points/s**`],
      ['steady-state window', `${steady.fromSeconds.toFixed(1)} s – ${steady.toSeconds.toFixed(1)} s of sending`],
      ['accept latency p50 / p95 / p99 / max (steady)', `${quantiles(l)} (${int(l.count)} messages)`],
      ['load generator behind its schedule (max, steady)', lagCell(steady.maxLagMs)],
    );
  } else {
    rows.push(['sustained throughput', 'n/a: the run ended before the warm-up did']);
  }
  rows.push(['accept latency p50 / p95 / p99 / max (whole run)', `${quantiles(whole)} (${int(whole.count)} messages)`]);
  rows.push(['end-to-end latency p50 / p95 / p99 / max', e2eCell(e2e)]);
  rows.push(...pipelineRows(r.pipeline));
  for (const p of r.processes) {
    rows.push([`CPU ${p.name} (avg / max, 100 % = 1 core)`, `${p.summary.avgCpuPercent.toFixed(0)} % / ${p.summary.maxCpuPercent.toFixed(0)} %`]);
    rows.push([`RSS ${p.name} (avg / max)`, `${mb(p.summary.avgRssBytes)} / ${mb(p.summary.maxRssBytes)}`]);
  }
  rows.push(['provisioning / connecting', `${(stats.provisionMs / 1000).toFixed(1)} s / ${(stats.connectMs / 1000).toFixed(1)} s`]);

  const lines = [
    `# Ingest benchmark: ${sim.protocol.toUpperCase()}, ${int(sim.devices)} devices × ${sim.rate} msg/s`,
    '',
    `${r.startedAt.toISOString()} · ${r.target}${stats.aborted ? ' · **stopped early (Ctrl+C)**' : ''}`,
    '',
    '## Results',
    '',
    '| metric | value |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`),
    '',
    '## Targets (embedded mode, one process, 2 cores)',
    '',
    '| target | measured | |',
    '|---|---|---|',
    `| ${int(TARGET.devices)} connected MQTT devices | ${sim.protocol === 'mqtt' ? int(stats.connected) : 'n/a (HTTP run)'} | ${check(sim.protocol === 'mqtt' && stats.connected >= TARGET.devices)} |`,
    `| 100 % accepted | ${pct(acceptedPct)} | ${check(stats.sent > 0 && stats.failed === 0)} |`,
    `| p95 accept latency ≤ ${TARGET.p95Ms} ms | ${steady ? formatMs(steady.latency.percentile(95)) : 'n/a'} | ${check(!!steady && steady.latency.percentile(95) <= TARGET.p95Ms)} |`,
    `| ≥ ${int(TARGET.msgsPerSec)} msg/s = ${int(TARGET.dataPointsPerSec)} data points/s sustained | ${steady ? `${int(steady.msgsPerSec)} msg/s, ${int(steady.dataPointsPerSec)} points/s` : 'n/a'} | ${check(!!steady && steady.msgsPerSec >= TARGET.msgsPerSec && steady.dataPointsPerSec >= TARGET.dataPointsPerSec)} |`,
    '',
    'With Kafka and ClickHouse the throughput target is ≥ 5,000 msg/s. A target is only met by a run',
    `on the reference machine with the reference load (\`--devices 10000 --rate 1 --protocol mqtt\`).`,
    '',
    '## Accept latency (steady state)',
    '',
    `![accept latency histogram](${r.svgFile})`,
    '',
    '## Parameters',
    '',
    '```',
    r.command,
    '```',
    '',
    `devices ${sim.devices}, rate ${sim.rate} msg/s per device, protocol ${sim.protocol}, duration ${sim.durationSeconds} s,`,
    `warm-up ${options.warmupSeconds} s, batch ${sim.batch} point(s) per message, keys ${sim.keys.join(', ')},`,
    `connect concurrency ${sim.connectConcurrency ?? 100}, end-to-end sample every ${options.e2eIntervalMs} ms.`,
    ...(r.rateLimits
      ? [`Intake rate limits of the started platform: ${int(r.rateLimits.tenantPerSecond)} msg/s per tenant, ${int(r.rateLimits.devicePerSecond)} per device.`]
      : []),
    '',
    '## Machine',
    '',
    `${r.machine.cpus} × ${r.machine.cpuModel}, ${mb(r.machine.totalMemoryBytes)} memory, ${r.machine.os}, Node.js ${r.machine.node}.`,
    `Load average before the run: ${r.machine.loadBefore.map((n) => n.toFixed(2)).join(', ')} (1, 5, 15 min); anything`,
    'else running skews the figures. The load generator competes with the platform for the same cores.',
    '',
  ];
  return lines.join('\n');
}

// Messages a second late measure the generator, not the platform; the reader must see that.
function lagCell(ms: number): string {
  if (ms < 1_000) return formatMs(ms);
  return `⚠️ ${formatMs(ms)}: the generator could not keep up, so throughput and latency understate the platform`;
}

function pipelineRows(p: BenchResult['pipeline']): Array<[string, string]> {
  const what = ['acknowledged by the platform while sending (its own count)', 'stored by the writer while sending'];
  if ('unavailable' in p) return what.map((label) => [label, `not measured: ${p.unavailable}`]);
  const rate = (n: number) => `${int(n)} messages, ${int(n / Math.max(p.seconds, 0.001))} msg/s over ${p.seconds.toFixed(1)} s`;
  return [
    [what[0]!, rate(p.acknowledged)],
    [what[1]!, `**${rate(p.stored)}**`],
  ];
}

function e2eCell(e2e: E2eResult | undefined): string {
  if (!e2e) return 'not measured';
  if (e2e.unavailable) return `not measured: ${e2e.unavailable}`;
  if (e2e.latency.count === 0) return `no sample became readable (${e2e.sampled} sampled, ${e2e.timedOut} timed out)`;
  const extra = [`${e2e.latency.count} samples`, `polled every ${e2e.pollMs} ms, then every tenth of the wait (±10 %)`];
  if (e2e.timedOut) extra.push(`${e2e.timedOut} timed out`);
  const errors = formatFailures(e2e.errors);
  if (errors) extra.push(`query errors: ${errors}`);
  return `${quantiles(e2e.latency.summary())} (${extra.join(', ')})`;
}
