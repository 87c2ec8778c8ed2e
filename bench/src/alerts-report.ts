import { formatFailures, type LatencyHistogram } from '@ump/ingest/src/simulator';
import type { BackgroundMessage } from './alerts-background';
import type { AlertsBenchOptions } from './alerts';
import type { ProcSummary } from './proc-stats';
import { formatMs } from './svg';

/** Everything one `bench:alerts` run measured. */
export interface AlertsBenchResult {
  startedAt: Date;
  target: string;
  options: AlertsBenchOptions;
  /** Probes × 2 events (raised, cleared) × subscribers. */
  expected: number;
  received: number;
  /** Events some subscriber had not received within the event timeout. */
  missedEvents: string[];
  /** Sockets the server closed (code and reason). */
  closedEarly: Array<{ code: number; reason: string }>;
  /** The first few GraphQL errors subscribers received. */
  errors: string[];
  /** Telemetry sent → event on a subscriber's socket, one value per subscriber and event. */
  latency: LatencyHistogram;
  /** Per event, its earliest arrival on any subscriber: the pipeline without the fan-out. */
  firstArrival: LatencyHistogram;
  /** Per event, last arrival minus first: how long the fan-out to every socket took. */
  spread: LatencyHistogram;
  background: Extract<BackgroundMessage, { kind: 'done' }>;
  /** Event-loop delay of the bench process (which holds the subscriber sockets) while measuring. */
  subscriberLoopDelayMs: { p50: number; p99: number; max: number };
  /** How long the probes took: the background load is averaged over the whole run. */
  backgroundWindowSeconds: number;
  processes: Array<{ name: string; summary: ProcSummary }>;
  machine: { cpus: number; cpuModel: string; node: string; loadBefore: number[] };
  svgFile: string;
}

// The targets of the alerts issue.
const TARGET = { p95Ms: 100, backgroundMsgsPerSec: 1_000, subscribers: 1_000 };

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number) => `${int(bytes / 2 ** 20)} MiB`;
const check = (ok: boolean) => (ok ? '✅ met' : '❌ not met');

/** The results as Markdown. */
export function renderAlertsReport(r: AlertsBenchResult, argv: string[]): string {
  const o = r.options;
  const l = r.latency.summary();
  const bg = r.background;
  const bgRate = bg.sendMs > 0 ? bg.acknowledged / (bg.sendMs / 1000) : 0;
  const lossless = r.received === r.expected && r.closedEarly.length === 0;
  const rows: Array<[string, string]> = [
    ['subscribers (one graphql-ws socket each)', int(o.subscribers)],
    ['events expected / received', `${int(r.expected)} / ${int(r.received)}`],
    ['events some subscriber missed', r.missedEvents.length ? r.missedEvents.slice(0, 5).join(', ') : 'none'],
    ['sockets closed by the server', r.closedEarly.length ? r.closedEarly.slice(0, 3).map((c) => `${c.code} ${c.reason}`).join('; ') : 'none'],
    ['GraphQL errors on subscribers', r.errors.length ? r.errors.join('; ') : 'none'],
    ['threshold → subscriber latency p50 / p95 / p99 / max', `**${formatMs(l.p50)} / ${formatMs(l.p95)} / ${formatMs(l.p99)}** / ${formatMs(l.max)} (${int(l.count)} deliveries)`],
    ['first subscriber per event p50 / p95 (the pipeline alone)', `${formatMs(r.firstArrival.summary().p50)} / ${formatMs(r.firstArrival.summary().p95)}`],
    ['first → last subscriber per event p50 / p95 (the fan-out)', `${formatMs(r.spread.summary().p50)} / ${formatMs(r.spread.summary().p95)}`],
    ['background telemetry accepted', `${int(bg.acknowledged)} of ${int(bg.sent)} (${formatFailures(bg.failures) || 'no failures'})`],
    ['background rate (whole run)', `${int(bgRate)} msg/s`],
    ['measured window', `${r.backgroundWindowSeconds.toFixed(1)} s`],
    [
      'event-loop delay of the subscribers\' process p50 / p99 / max',
      `${formatMs(r.subscriberLoopDelayMs.p50)} / ${formatMs(r.subscriberLoopDelayMs.p99)} / ${formatMs(r.subscriberLoopDelayMs.max)} (included in the latencies)`,
    ],
  ];
  for (const p of r.processes) {
    rows.push([`CPU ${p.name} (avg / max, 100 % = 1 core)`, `${p.summary.avgCpuPercent.toFixed(0)} % / ${p.summary.maxCpuPercent.toFixed(0)} %`]);
    rows.push([`RSS ${p.name} (avg / max)`, `${mb(p.summary.avgRssBytes)} / ${mb(p.summary.maxRssBytes)}`]);
  }
  const shownArgs = argv.map((arg, i) => (argv[i - 1] === '--password' ? '***' : arg));
  return [
    `# Alerts benchmark: ${int(o.subscribers)} subscribers, ${int(o.backgroundDevices * o.backgroundRate)} msg/s background`,
    '',
    `${r.startedAt.toISOString()} · ${r.target}`,
    '',
    'Each probe device first reports a normal reading (before the clock starts). Then it sends one',
    'reading above the rule threshold over HTTP (raise), then one below',
    'the clear threshold (clear). Latency runs from just before the POST to the moment each',
    "subscriber's socket delivers the event, whose selection spans the alert, device and",
    'analytics subgraphs (`alert { severity status rule { name } device { name labels latest { key value } } }`).',
    '',
    '## Results',
    '',
    '| metric | value |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`),
    '',
    '## Targets',
    '',
    '| target | measured | |',
    '|---|---|---|',
    `| p95 ≤ ${TARGET.p95Ms} ms at ${int(TARGET.backgroundMsgsPerSec)} msg/s background | ${formatMs(l.p95)} at ${int(bgRate)} msg/s | ${check(l.count > 0 && l.p95 <= TARGET.p95Ms && bgRate >= TARGET.backgroundMsgsPerSec * 0.95)} |`,
    `| ${int(TARGET.subscribers)} concurrent subscribers without loss | ${int(o.subscribers)}, ${int(r.received)} / ${int(r.expected)} delivered | ${check(o.subscribers >= TARGET.subscribers && lossless)} |`,
    '',
    '## Latency',
    '',
    `![latency histogram](${r.svgFile})`,
    '',
    '## Parameters',
    '',
    '```',
    `npm run bench:alerts -- ${shownArgs.join(' ')}`.trim(),
    '```',
    '',
    `${int(o.probes)} probes (+1 warm-up), event timeout ${int(o.eventTimeoutMs)} ms, background ${int(o.backgroundDevices)} MQTT devices × ${o.backgroundRate} msg/s`,
    'in a process of their own (the subscribers run in the bench process),',
    "evaluated against a fleet-wide rule that never fires (so every message goes through the rule worker's evaluation).",
    '',
    '## Machine',
    '',
    `${r.machine.cpus} × ${r.machine.cpuModel}, Node.js ${r.machine.node}. Load average before the run: ${r.machine.loadBefore.map((x) => x.toFixed(2)).join(', ')}.`,
    'The platform, the background devices and the subscribers share the same cores.',
    '',
  ].join('\n');
}
