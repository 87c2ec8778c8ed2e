// `npm run bench:ingest -- --devices 10000 --rate 1 --protocol mqtt --duration 60 --start-platform`
// Drives the intake with the device simulator and writes bench/results/ingest-*.md; see bench/README.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createGraphQLClient,
  createProgressPrinter,
  formatSummary,
  runSimulation,
  UsageError,
  type ProgressSnapshot,
} from '@ump/ingest/src/simulator';
import { benchUsage, parseBenchArgs, type BenchOptions } from './args';
import { createE2eProbe } from './e2e';
import { describeStartedPlatform, startPlatform, type StartedPlatform } from './platform';
import { createPipelineMeter, readCounters } from './pipeline';
import { procReader, sampleProcess, selfReader, summarize } from './proc-stats';
import { commandLine, renderReport, reportStem, type BenchResult } from './report';
import { createSteadyMeter } from './steady';
import { histogramSvg } from './svg';

const root = path.resolve(__dirname, '..', '..');

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchArgs(process.argv.slice(2), process.env, process.cwd());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${benchUsage}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(benchUsage);
    return 0;
  }
  const stop = new AbortController();
  const onSignal = () => (stop.signal.aborted ? process.exit(130) : stop.abort());
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let platform: StartedPlatform | undefined;
  try {
    if (options.startPlatform) {
      process.stdout.write('Starting the embedded platform…\n');
      platform = await startPlatform(root, process.env, options.simulation);
      Object.assign(options.simulation, {
        apiUrl: platform.apiUrl,
        intakeHttpUrl: platform.intakeHttpUrl,
        mqttUrl: platform.mqttUrl,
        email: platform.admin.email,
        password: platform.admin.password,
      });
      process.stdout.write(`Platform up (pid ${platform.pid}): ${platform.apiUrl}\n`);
    }
    return await bench(options, platform, stop.signal);
  } finally {
    await platform?.stop();
  }
}

async function bench(options: BenchOptions, platform: StartedPlatform | undefined, signal: AbortSignal): Promise<number> {
  const sim = options.simulation;
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const samplers = [{ name: 'load generator', sampler: sampleProcess(selfReader) }];
  const platformPid = platform?.pid ?? options.platformPid;
  if (platformPid) samplers.unshift({ name: 'platform', sampler: sampleProcess(procReader(platformPid)) });
  const steady = createSteadyMeter(options.warmupSeconds * 1000);
  const pipeline = createPipelineMeter(() => readCounters(sim.apiUrl));
  const window = { from: Number.POSITIVE_INFINITY, to: Number.NEGATIVE_INFINITY };
  let latest: ProgressSnapshot | undefined;
  let probe: ReturnType<typeof createE2eProbe> | undefined;
  const printer = createProgressPrinter(process.stdout);
  process.stdout.write(`Benchmarking ${sim.devices} ${sim.protocol.toUpperCase()} devices × ${sim.rate} msg/s for ${sim.durationSeconds} s\n`);

  const stats = await runSimulation(sim, {
    signal,
    onProgress: (snapshot) => {
      latest = snapshot;
      steady.record(snapshot);
      if (snapshot.phase === 'sending') pipeline.sendingStarted();
      else if (snapshot.phase === 'draining' || snapshot.phase === 'done') pipeline.sendingEnded();
      // CPU and memory count over the same steady window as the throughput.
      if (snapshot.phase === 'sending' && snapshot.sendingMs >= options.warmupSeconds * 1000) {
        window.from = Math.min(window.from, performance.now());
        window.to = performance.now();
      }
      printer.update(snapshot);
    },
    onReady: (fleet) => {
      if (options.e2eIntervalMs > 0) {
        probe = createE2eProbe({ api: createGraphQLClient(sim.apiUrl, fleet.operatorToken), intervalMs: options.e2eIntervalMs });
      }
    },
    onAccepted: (event) => {
      if (latest?.phase === 'sending' && latest.sendingMs >= options.warmupSeconds * 1000) probe?.offer(event);
    },
  });
  printer.end();
  process.stdout.write(`${formatSummary(stats)}\n`);
  if (probe) process.stdout.write('Waiting for end-to-end samples to become readable…\n');
  const e2e = await probe?.drain();
  const processes = [];
  for (const { name, sampler } of samplers) processes.push({ name, summary: summarize(await sampler.stop(), window.from, window.to) });

  const steadyState = steady.result();
  const stem = reportStem(sim.protocol, sim.devices, startedAt);
  const svgFile = `${stem}.svg`;
  const histogram = steadyState?.latency ?? stats.latency;
  const l = histogram.summary();
  const svg = histogramSvg(
    histogram.buckets(10),
    [
      { label: 'p50', value: l.p50 },
      { label: 'p95', value: l.p95 },
      { label: 'p99', value: l.p99 },
    ],
    { title: `Accept latency, ${sim.protocol.toUpperCase()}, ${sim.devices.toLocaleString('en-US')} devices × ${sim.rate} msg/s` },
  );
  const result: BenchResult = {
    startedAt,
    options,
    target: platform ? describeStartedPlatform(process.env, platform.pid) : `running platform at ${sim.apiUrl}`,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
      totalMemoryBytes: os.totalmem(),
      node: process.version,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      loadBefore,
    },
    stats,
    steady: steadyState,
    e2e,
    pipeline: await pipeline.result(),
    processes,
    svgFile,
    command: commandLine(process.argv.slice(2)),
    rateLimits: platform?.rateLimits,
  };
  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(path.join(options.outDir, svgFile), svg);
  const reportPath = path.join(options.outDir, `${stem}.md`);
  writeFileSync(reportPath, renderReport(result));
  process.stdout.write(`Report: ${path.relative(process.cwd(), reportPath)}\n`);
  return stats.failed > 0 || stats.connected < stats.devices ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`\nBenchmark failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
