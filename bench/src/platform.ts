import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** What the bench is about to send, so the platform's limits can stay out of the way. */
export interface PlannedLoad {
  protocol: 'mqtt' | 'http';
  devices: number;
  /** Messages per second per device. */
  rate: number;
}

/** A platform child process started by the bench. */
export interface StartedPlatform {
  pid: number;
  /** The intake rate limits the child was started with. */
  rateLimits: { tenantPerSecond: number; devicePerSecond: number };
  apiUrl: string;
  intakeHttpUrl: string;
  mqttUrl: string;
  admin: { email: string; password: string };
  /** The last lines the child printed, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s; removes the data directory. */
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the OS picks it; another process could still take it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Intake rate limits for a benchmark: twice the planned load, because the bench measures what
 * the platform can take, not its limiter (whose default of 5,000 msg/s per tenant is below the
 * target). INTAKE_TENANT_RATE_PER_SECOND / INTAKE_DEVICE_RATE_PER_SECOND in `env` win.
 */
export function benchRateLimits(env: NodeJS.ProcessEnv, load: PlannedLoad) {
  const given = (name: string) => (env[name] && Number(env[name]) > 0 ? Number(env[name]) : undefined);
  return {
    tenantPerSecond: given('INTAKE_TENANT_RATE_PER_SECOND') ?? Math.max(5_000, Math.ceil(load.devices * load.rate * 2)),
    devicePerSecond: given('INTAKE_DEVICE_RATE_PER_SECOND') ?? Math.max(50, Math.ceil(load.rate * 2)),
  };
}

/** Whether something accepts TCP connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * Spawns `node --import tsx gateway/src/embedded/main.ts` from `root` with a fresh temporary
 * UMP_DATA_DIR, free PORT / INTAKE_HTTP_PORT / MQTT_PORT, a generated admin password, intake
 * rate limits above the planned load (`benchRateLimits`) and LOG_LEVEL=warn; everything else
 * in `env` (KAFKA_BROKERS, CLICKHOUSE_URL…) passes through. Then it waits (up to `timeoutMs`,
 * default 120 s) for `/healthz`, and up to 15 s more for the intake port of the load's
 * protocol. Rejects with the child's last output if it exits or does not come up in time; the
 * child is stopped and its data removed in that case.
 */
export async function startPlatform(root: string, env: NodeJS.ProcessEnv, load: PlannedLoad, timeoutMs = 120_000): Promise<StartedPlatform> {
  const { protocol } = load;
  const rateLimits = benchRateLimits(env, load);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ump-bench-'));
  const [port, intakePort, mqttPort] = [await freePort(), await freePort(), await freePort()];
  const admin = { email: 'admin@ump.local', password: `bench-${randomBytes(12).toString('hex')}` };
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/embedded/main.ts'], {
    cwd: root,
    env: {
      ...env,
      UMP_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      INTAKE_HTTP_PORT: String(intakePort),
      MQTT_PORT: String(mqttPort),
      UMP_ADMIN_EMAIL: admin.email,
      UMP_ADMIN_PASSWORD: admin.password,
      INTAKE_TENANT_RATE_PER_SECOND: String(rateLimits.tenantPerSecond),
      INTAKE_DEVICE_RATE_PER_SECOND: String(rateLimits.devicePerSecond),
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 40));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));

  const stop = async () => {
    if (!gone) {
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), delay(10_000).then(() => false)]);
      if (!killed) child.kill('SIGKILL');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const output = () => lines.join('\n');

  const waitFor = async (what: string, until: number, check: () => Promise<boolean>) => {
    while (!(await check().catch(() => false))) {
      if (gone) throw new Error(`The platform exited while waiting for ${what}:\n${output()}`);
      if (Date.now() > until) throw new Error(`The platform did not bring up ${what} in time:\n${output()}`);
      await delay(200);
    }
  };
  try {
    await waitFor('/healthz', Date.now() + timeoutMs, async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok);
    // The intake listens soon after the API or not at all (not wired in): do not wait long for it.
    const intakeDeadline = Date.now() + 15_000;
    if (protocol === 'http') await waitFor(`the HTTP intake on INTAKE_HTTP_PORT ${intakePort}`, intakeDeadline, () => listening(intakePort));
    else await waitFor(`the MQTT intake on MQTT_PORT ${mqttPort}`, intakeDeadline, () => listening(mqttPort));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    pid: child.pid!,
    apiUrl: `http://127.0.0.1:${port}/graphql`,
    intakeHttpUrl: `http://127.0.0.1:${intakePort}`,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    admin,
    rateLimits,
    output,
    stop,
  };
}

/** How a platform started by the bench is backed, from the environment it inherits. */
export function describeStartedPlatform(env: NodeJS.ProcessEnv, pid: number): string {
  const bus = env.KAFKA_BROKERS ? `Kafka at ${env.KAFKA_BROKERS}` : 'the in-process bus';
  const store = env.CLICKHOUSE_URL ? `ClickHouse at ${env.CLICKHOUSE_URL}` : 'embedded chDB';
  return `platform started by the bench (pid ${pid}): ${bus}, ${store}`;
}
