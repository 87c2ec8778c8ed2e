// `npm run bench:alerts -- --start-platform`: end-to-end latency from a device crossing a
// threshold to the alert arriving on subscribers' sockets, under background telemetry.
// Writes bench/results/alerts-*.md and .svg; see bench/README.md.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import {
  createGraphQLClient,
  LatencyHistogram,
  provisionFleet,
  telemetryKeys,
  type GraphQLClient,
  type SimulationOptions,
} from '@ump/ingest/src/simulator';
import type { BackgroundMessage } from './alerts-background';
import { renderAlertsReport, type AlertsBenchResult } from './alerts-report';
import { fileStamp } from './report';
import { openSubscribers } from './alerts-subscribers';
import { describeStartedPlatform, startPlatform, type StartedPlatform } from './platform';
import { procReader, sampleProcess, summarize } from './proc-stats';
import { histogramSvg } from './svg';

const root = path.resolve(__dirname, '..', '..');

const usage = `Usage: npm run bench:alerts -- [flags]

  --start-platform          spawn the embedded platform on free ports (fresh data dir) and measure it
  --subscribers N           graphql-ws subscribers, one socket each (default 1000)
  --background-devices N    devices sending background telemetry over MQTT (default 1000)
  --background-rate R       messages per second per background device (default 1)
  --probes N                threshold crossings measured, each raised then cleared (default 40)
  --event-timeout MS        how long every subscriber gets to receive one event (default 10000)
  --out DIR                 where the report goes (default bench/results)
  --api, --intake-http, --mqtt, --email, --password   a running platform instead of --start-platform
`;

export interface AlertsBenchOptions {
  startPlatform: boolean;
  subscribers: number;
  backgroundDevices: number;
  backgroundRate: number;
  probes: number;
  eventTimeoutMs: number;
  outDir: string;
  sim: SimulationOptions;
}

function parse(argv: string[]): AlertsBenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      'start-platform': { type: 'boolean', default: false },
      subscribers: { type: 'string', default: '1000' },
      'background-devices': { type: 'string', default: '1000' },
      'background-rate': { type: 'string', default: '1' },
      probes: { type: 'string', default: '40' },
      'event-timeout': { type: 'string', default: '10000' },
      out: { type: 'string', default: path.join(root, 'bench', 'results') },
      api: { type: 'string', default: 'http://localhost:4000/graphql' },
      'intake-http': { type: 'string', default: 'http://localhost:4080' },
      mqtt: { type: 'string', default: 'mqtt://localhost:1883' },
      email: { type: 'string', default: process.env.UMP_ADMIN_EMAIL ?? 'admin@ump.local' },
      password: { type: 'string', default: process.env.UMP_ADMIN_PASSWORD ?? '' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const positive = (name: string, raw: string, min = 1) => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}, got '${raw}'`);
    return n;
  };
  return {
    startPlatform: values['start-platform'],
    subscribers: positive('subscribers', values.subscribers),
    backgroundDevices: positive('background-devices', values['background-devices']),
    backgroundRate: positive('background-rate', values['background-rate'], 0.001),
    probes: positive('probes', values.probes),
    eventTimeoutMs: positive('event-timeout', values['event-timeout'], 100),
    outDir: path.resolve(values.out),
    sim: {
      devices: positive('background-devices', values['background-devices']),
      rate: positive('background-rate', values['background-rate'], 0.001),
      protocol: 'mqtt',
      apiUrl: values.api,
      intakeHttpUrl: values['intake-http'],
      mqttUrl: values.mqtt,
      email: values.email,
      password: values.password,
      tenant: 'bench-alerts',
      keys: [...telemetryKeys],
      batch: 1,
      ackTimeoutMs: 10_000,
    },
  };
}

async function main(): Promise<number> {
  let options: AlertsBenchOptions | 'help';
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  let platform: StartedPlatform | undefined;
  try {
    if (options.startPlatform) {
      process.stdout.write('Starting the embedded platform…\n');
      platform = await startPlatform(root, process.env, { protocol: 'mqtt', devices: options.backgroundDevices + options.probes + 1, rate: Math.max(1, options.backgroundRate) });
      Object.assign(options.sim, {
        apiUrl: platform.apiUrl,
        intakeHttpUrl: platform.intakeHttpUrl,
        mqttUrl: platform.mqttUrl,
        email: platform.admin.email,
        password: platform.admin.password,
      });
      process.stdout.write(`Platform up (pid ${platform.pid}): ${platform.apiUrl}\n`);
    }
    return await bench(options, platform);
  } finally {
    await platform?.stop();
  }
}

const ruleData = z.object({ createAlertRule: z.object({ id: z.string() }) });
const deviceData = z.object({ createDevice: z.object({ device: z.object({ id: z.string(), name: z.string() }), accessToken: z.string() }) });

/** The alert rule the probes trip (with hysteresis), and one the whole fleet is evaluated against. */
async function createRules(api: GraphQLClient): Promise<string> {
  const create = `mutation BenchRule($input: CreateAlertRuleInput!) { createAlertRule(input: $input) { id } }`;
  await api.request(
    create,
    { input: { name: `bench-fleet-${Date.now()}`, labels: ['simulator'], severity: 'WARNING', condition: { key: 'temperature', op: 'GT', value: 1000 } } },
    ruleData,
  );
  const probe = await api.request(
    create,
    {
      input: {
        name: `bench-probe-${Date.now()}`,
        labels: ['bench-probe'],
        severity: 'MAJOR',
        condition: { key: 'temperature', op: 'GT', value: 50 },
        clearCondition: { key: 'temperature', op: 'LT', value: 40 },
      },
    },
    ruleData,
  );
  return probe.createAlertRule.id;
}

/** Below the probe rule's clear threshold (40), as the probes' first reading. */
const NORMAL = 25;

async function createProbes(api: GraphQLClient, count: number) {
  const stamp = Date.now();
  const probes = [];
  for (let i = 0; i <= count; i++) {
    const data = await api.request(
      `mutation BenchProbe($input: CreateDeviceInput!) { createDevice(input: $input) { device { id name } accessToken } }`,
      { input: { name: `probe-${stamp}-${i}`, labels: ['bench-probe'] } },
      deviceData,
    );
    probes.push({ id: data.createDevice.device.id, name: data.createDevice.device.name, token: data.createDevice.accessToken });
  }
  return probes;
}

async function send(intakeHttpUrl: string, token: string, temperature: number): Promise<void> {
  const res = await fetch(`${intakeHttpUrl}/api/v1/telemetry`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ values: { temperature } }),
  });
  if (res.status !== 202) throw new Error(`the intake answered ${res.status}: ${await res.text()}`);
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) return false;
    await delay(5);
  }
  return true;
}

/** Runs the background devices in a child process; resolves once they are sending. */
async function startBackground(sim: SimulationOptions) {
  const child = fork(path.join(__dirname, 'alerts-background.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: BackgroundMessage[] = [];
  const next = (kind: BackgroundMessage['kind']) =>
    new Promise<BackgroundMessage>((resolve, reject) => {
      const onMessage = (message: BackgroundMessage) => {
        messages.push(message);
        if (message.kind === kind) resolve(message);
        else if (message.kind === 'failed') reject(new Error(`the background devices failed: ${message.error}`));
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`the background devices exited with ${code}`)));
    });
  const sending = next('sending');
  child.send(sim);
  await sending;
  return {
    pid: child.pid!,
    async stop() {
      const done = next('done');
      child.kill('SIGTERM');
      const result = (await done) as Extract<BackgroundMessage, { kind: 'done' }>;
      if (child.exitCode === null) await once(child, 'exit');
      return result;
    },
  };
}

async function bench(options: AlertsBenchOptions, platform: StartedPlatform | undefined): Promise<number> {
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const sampler = platform ? sampleProcess(procReader(platform.pid)) : undefined;
  process.stdout.write(`Background: ${options.backgroundDevices} MQTT devices × ${options.backgroundRate} msg/s (own process)\n`);
  const background = await startBackground(options.sim);
  // The background process made the tenant and its operator: sign in as that operator.
  const fleet = await provisionFleet(createGraphQLClient(options.sim.apiUrl), { ...options.sim, devices: 0 });
  const api = createGraphQLClient(options.sim.apiUrl, fleet.operatorToken);
  const ruleId = await createRules(api);
  const probes = await createProbes(api, options.probes);
  // A crossing starts from a normal reading, as in a fleet that has been reporting.
  for (const probe of probes) await send(options.sim.intakeHttpUrl, probe.token, NORMAL);
  process.stdout.write(`Background sending; opening ${options.subscribers} subscribers…\n`);
  const subscribers = await openSubscribers({
    url: options.sim.apiUrl,
    token: fleet.operatorToken,
    ruleId,
    count: options.subscribers,
    onProgress: (n) => n % 100 === 0 && process.stdout.write(`  ${n} subscribed\n`),
  });

  // The first probe is a warm-up: it proves the rule reached the worker and the path works.
  const [warmup, ...measured] = probes;
  const allSaw = (deviceId: string, type: string) => () => subscribers.count(deviceId, type) >= options.subscribers;
  await send(options.sim.intakeHttpUrl, warmup!.token, 60);
  if (!(await waitUntil(() => subscribers.count(warmup!.id, 'RAISED') > 0, 60_000))) {
    throw new Error('No subscriber received the warm-up alert within 60 s: is the rule worker running?');
  }
  // How late this process ran its own callbacks: arrival times include that delay.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const measureFrom = performance.now();
  const sentAt = new Map<string, number>();
  const missedEvents: string[] = [];
  for (const [i, probe] of measured.entries()) {
    for (const [type, temperature] of [['RAISED', 60], ['CLEARED', 30]] as const) {
      sentAt.set(`${probe.id}:${type}`, performance.now());
      await send(options.sim.intakeHttpUrl, probe.token, temperature);
      if (!(await waitUntil(allSaw(probe.id, type), options.eventTimeoutMs))) missedEvents.push(`${probe.name} ${type}`);
    }
    process.stdout.write(`\r  probe ${i + 1}/${measured.length}`);
  }
  process.stdout.write('\n');
  const measureTo = performance.now();
  loopDelay.disable();
  const backgroundStats = await background.stop();
  await subscribers.close();
  const processes = sampler ? [{ name: 'platform', summary: summarize(await sampler.stop(), measureFrom, measureTo) }] : [];

  const latency = new LatencyHistogram();
  // Per event, its first and last arrival: the pipeline's latency and the fan-out's spread.
  const extremes = new Map<string, { first: number; last: number }>();
  let received = 0;
  for (const log of subscribers.logs) {
    for (const arrival of log.arrivals) {
      const key = `${arrival.deviceId}:${arrival.type}`;
      const sent = sentAt.get(key);
      if (sent === undefined) continue;
      received += 1;
      const took = arrival.at - sent;
      latency.record(took);
      const seen = extremes.get(key) ?? { first: took, last: took };
      extremes.set(key, { first: Math.min(seen.first, took), last: Math.max(seen.last, took) });
    }
  }
  const firstArrival = new LatencyHistogram();
  const spread = new LatencyHistogram();
  for (const { first, last } of extremes.values()) {
    firstArrival.record(first);
    spread.record(last - first);
  }
  const result: AlertsBenchResult = {
    startedAt,
    target: platform ? describeStartedPlatform(process.env, platform.pid) : `running platform at ${options.sim.apiUrl}`,
    options,
    expected: measured.length * 2 * options.subscribers,
    received,
    missedEvents,
    closedEarly: subscribers.logs.filter((l) => l.closed).map((l) => l.closed!),
    errors: subscribers.logs.flatMap((l) => l.errors).slice(0, 5),
    latency,
    firstArrival,
    spread,
    background: backgroundStats,
    subscriberLoopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
    backgroundWindowSeconds: (measureTo - measureFrom) / 1000,
    processes,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown CPU', node: process.version, loadBefore },
    svgFile: '',
  };
  const stem = `alerts-${options.subscribers}s-${fileStamp(startedAt)}`;
  result.svgFile = `${stem}.svg`;
  const l = latency.summary();
  const svg = histogramSvg(
    latency.buckets(10),
    [
      { label: 'p50', value: l.p50 },
      { label: 'p95', value: l.p95 },
      { label: 'p99', value: l.p99 },
    ],
    { title: `Threshold crossed → alert on ${options.subscribers.toLocaleString('en-US')} subscribers' sockets` },
  );
  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(path.join(options.outDir, result.svgFile), svg);
  const reportPath = path.join(options.outDir, `${stem}.md`);
  writeFileSync(reportPath, renderAlertsReport(result, process.argv.slice(2)));
  process.stdout.write(`Report: ${path.relative(process.cwd(), reportPath)}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    process.stderr.write(`bench:alerts failed: ${error instanceof Error ? error.message : String(error)}${cause}\n`);
    process.exit(1);
  },
);
