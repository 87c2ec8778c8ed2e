// `npm run bench:writer`: the consumer half of the embedded platform on its own, without
// devices, sockets or a load generator: how much one stored message costs the main thread
// and the process. The ingest bench measures everything together; this one says how much
// of the shared event loop the writer side takes. With KAFKA_BROKERS set the messages go
// through Kafka (fresh topics per run), as in the platform's Kafka mode. Writes
// bench/results/writer-*.md.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { createClickHouseStore, createEventBus, createLogger, createMemoryCache, telemetryEnv, telemetryTopic, uuidv7, type TelemetryMessage } from '@ump/core';
import { createEmbeddedTestDatabase } from '@ump/db/src/testing';
import { EMBEDDED_BUS_OPTIONS } from '@ump/gateway/src/embedded/bus-options';
import { createRuleWorker, createTelemetryWriter } from '@ump/ingest';
import { fileStamp } from './report';
import { median, renderWriterReport, type WriterRun } from './writer-report';

const usage = `Usage: npm run bench:writer -- [flags]

  --messages N   telemetry messages per run (default 200000)
  --devices N    devices they come from (default 5000)
  --keys N       values per message (default 3)
  --runs N       runs; the report gives the median (default 3)
  --out DIR      where the report goes (default bench/results)

KAFKA_BROKERS=host:port sends the messages through Kafka instead of the in-process bus.
`;

const positive = (name: string, text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive integer, got '${text}'`);
  return n;
};

function fleetMessages(messages: number, devices: number, keys: number): Array<{ key: string; value: TelemetryMessage }> {
  const tenantId = crypto.randomUUID();
  const deviceIds = Array.from({ length: devices }, () => crypto.randomUUID());
  const now = Date.now();
  return Array.from({ length: messages }, (_, i) => {
    const deviceId = deviceIds[i % devices]!;
    const values = Object.fromEntries(Array.from({ length: keys }, (_, k) => [`key${k}`, 20 + ((i + k) % 100) / 10]));
    return { key: deviceId, value: { messageId: uuidv7(now), tenantId, deviceId, ts: now, receivedAt: now, values } };
  });
}

/** Publishes every message one by one, as the intake does, and waits until the writer stored them all. */
async function runOnce(messages: ReturnType<typeof fleetMessages>, kafkaBrokers: string[] | undefined): Promise<WriterRun> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ump-bench-writer-'));
  const logger = createLogger({ name: 'bench-writer', level: 'warn' });
  const { db, drop } = await createEmbeddedTestDatabase();
  const cache = createMemoryCache();
  const store = createClickHouseStore({ dataDir, latestCache: cache });
  // Fresh topics and groups per run, so no run reads another's messages.
  const bus = createEventBus({ kafkaBrokers, topicPrefix: `bench-writer-${crypto.randomUUID()}.`, clientId: 'bench-writer', logger, ...EMBEDDED_BUS_OPTIONS });
  const registry = new Registry();
  try {
    await store.migrate();
    const writer = createTelemetryWriter({ bus, store, logger, metrics: registry });
    const rules = createRuleWorker({ bus, prisma: db.prisma, cache, logger, metrics: registry });
    await writer.start();
    await rules.start();
    const written = async () => (await registry.getSingleMetric('ump_telemetry_writer_written_total')?.get())?.values[0]?.value ?? 0;
    let gcMs = 0;
    const gc = new PerformanceObserver((list) => list.getEntries().forEach((entry) => (gcMs += entry.duration)));
    gc.observe({ entryTypes: ['gc'] });
    const [elu, cpu, started] = [performance.eventLoopUtilization(), process.cpuUsage(), performance.now()];
    const published: Array<Promise<void>> = [];
    for (let i = 0; i < messages.length; i++) {
      published.push(bus.publish(telemetryTopic.name, [messages[i]!]));
      // Let the consumers run in between, as they would between socket reads.
      if (i % 1_000 === 999) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(published);
    while ((await written()) < messages.length) await new Promise((resolve) => setTimeout(resolve, 20));
    const wallMs = performance.now() - started;
    const busy = performance.eventLoopUtilization(elu);
    const used = process.cpuUsage(cpu);
    gc.disconnect();
    await rules.stop();
    await writer.stop();
    return {
      wallMs,
      mainUsPerMessage: (busy.active * 1_000) / messages.length,
      cpuUsPerMessage: (used.user + used.system) / messages.length,
      gcShare: gcMs / wallMs,
    };
  } finally {
    await bus.close();
    await store.close();
    await cache.close();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      messages: { type: 'string', default: '200000' },
      devices: { type: 'string', default: '5000' },
      keys: { type: 'string', default: '3' },
      runs: { type: 'string', default: '3' },
      out: { type: 'string', default: path.resolve(__dirname, '..', 'results') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void process.stdout.write(usage);
  const [count, devices, keys, runCount] = (['messages', 'devices', 'keys', 'runs'] as const).map((name) => positive(name, values[name]));
  // Parsed as the platform parses it, so the bench uses Kafka exactly when the platform would.
  const kafkaBrokers = telemetryEnv.shape.KAFKA_BROKERS.parse(process.env.KAFKA_BROKERS);
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const messages = fleetMessages(count!, devices!, keys!);
  const runs: WriterRun[] = [];
  for (let i = 1; i <= runCount!; i++) {
    process.stdout.write(`run ${i}/${runCount}: storing ${count!.toLocaleString('en-US')} messages… `);
    const run = await runOnce(messages, kafkaBrokers);
    runs.push(run);
    process.stdout.write(`${Math.round((count! / run.wallMs) * 1000).toLocaleString('en-US')} msg/s, main thread ${run.mainUsPerMessage.toFixed(1)} µs/msg\n`);
  }
  const cpus = os.cpus();
  const report = renderWriterReport({
    startedAt,
    argv,
    messages: count!,
    devices: devices!,
    keys: keys!,
    runs,
    bus: kafkaBrokers ? 'kafka' : 'in-process',
    machine: `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, Node.js ${process.version}; load average before: ${loadBefore.map((n) => n.toFixed(2)).join(', ')}.`,
  });
  mkdirSync(values.out, { recursive: true });
  const file = path.join(values.out, `writer-${fileStamp(startedAt)}.md`);
  writeFileSync(file, report);
  process.stdout.write(`median ${Math.round((count! / median(runs.map((r) => r.wallMs))) * 1000).toLocaleString('en-US')} msg/s · report: ${path.relative(process.cwd(), file)}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof RangeError ? error.message : error);
  process.exitCode = 1;
});
