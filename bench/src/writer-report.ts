/** One run of the consumer half: what it cost to store every message once. */
export interface WriterRun {
  wallMs: number;
  /** Time the main thread was busy (event-loop utilization), per message. */
  mainUsPerMessage: number;
  /** CPU of the whole process (main thread, chDB's threads, GC helpers), per message. */
  cpuUsPerMessage: number;
  /** Share of the wall time spent in garbage collection pauses. */
  gcShare: number;
}

export interface WriterBenchResult {
  startedAt: Date;
  /** The flags as given, for the report's command line. */
  argv: string[];
  messages: number;
  devices: number;
  keys: number;
  runs: WriterRun[];
  /** Which bus carried the messages: the embedded default, or Kafka (KAFKA_BROKERS). */
  bus: 'in-process' | 'kafka';
  machine: string;
}

export function median(values: number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const perSecond = (run: WriterRun, messages: number) => (messages / run.wallMs) * 1000;

const busText = {
  'in-process': 'the in-process bus as the platform tunes it',
  kafka: 'Kafka (KAFKA_BROKERS; its consumer and producer, and the write journal exactly-once needs there)',
};

/** The median run of each figure, then every run: the markdown the bench writes. */
export function renderWriterReport(r: WriterBenchResult): string {
  const rate = (run: WriterRun) => perSecond(run, r.messages);
  const row = (name: string, pick: (run: WriterRun) => number, show: (n: number) => string) =>
    `| ${name} | **${show(median(r.runs.map(pick)))}** | ${r.runs.map((run) => show(pick(run))).join(' · ')} |`;
  return [
    `# Writer benchmark: ${int(r.messages)} messages from ${int(r.devices)} devices, ${r.keys} keys each`,
    '',
    `${r.startedAt.toISOString()} · the consumer half of the embedded platform in this process: ${busText[r.bus]},`,
    'the telemetry writer into embedded chDB with the latest-value cache, and the rule worker (no rules).',
    'The messages are built before the clock starts; publishing them is timed.',
    '',
    '| figure | median | runs |',
    '|---|---|---|',
    row('stored, msg/s', rate, int),
    row('main thread busy, µs per message', (run) => run.mainUsPerMessage, (n) => n.toFixed(1)),
    row('process CPU, µs per message', (run) => run.cpuUsPerMessage, (n) => n.toFixed(1)),
    row('garbage collection, share of the time', (run) => run.gcShare * 100, (n) => `${n.toFixed(1)} %`),
    '',
    '## Parameters',
    '',
    '```',
    `${r.bus === 'kafka' ? 'KAFKA_BROKERS=… ' : ''}npm run bench:writer${r.argv.length ? ` -- ${r.argv.join(' ')}` : ''}`,
    '```',
    '',
    '## Machine',
    '',
    r.machine,
    '',
  ].join('\n');
}
