import path from 'node:path';
import { parseFlags, simulatorFlags, simulatorUsage, toSimulationOptions, UsageError, type SimulationOptions } from '@ump/ingest/src/simulator';

/** What `npm run bench:ingest` was asked to do. */
export interface BenchOptions {
  simulation: SimulationOptions & { durationSeconds: number };
  /** Spawn the embedded platform on free ports instead of targeting the given URLs. */
  startPlatform: boolean;
  /** Seconds at the start of sending left out of the steady-state figures. */
  warmupSeconds: number;
  /** Directory the report and its SVG are written to. */
  outDir: string;
  /** One end-to-end sample per this many ms (0 turns end-to-end sampling off). */
  e2eIntervalMs: number;
  /** A running platform's process to sample CPU and memory of (with --start-platform: the child). */
  platformPid?: number;
}

const benchFlags = {
  ...simulatorFlags,
  // A benchmark must end on its own, and three keys per message match the 30,000 data points/s target.
  duration: { type: 'string', default: '60' },
  devices: { type: 'string', default: '1000' },
  keys: { type: 'string', default: 'temperature,humidity,seq' },
  // A started platform gets a fresh tenant anyway; against a running one, keep bench devices apart.
  tenant: { type: 'string', default: 'bench' },
  'start-platform': { type: 'boolean', default: false },
  warmup: { type: 'string' },
  out: { type: 'string' },
  'e2e-interval': { type: 'string', default: '1000' },
  'platform-pid': { type: 'string' },
} as const;

/** The bench's --help text: its own flags, then the simulator's. */
export const benchUsage = `Usage: npm run bench:ingest -- [flags]

  --start-platform         spawn the embedded platform on free ports (fresh data dir) and measure it
  --warmup S               seconds of ramp-up left out of steady-state figures (default min(10, 20% of duration))
  --out DIR                where the report goes (default bench/results)
  --e2e-interval MS        one end-to-end latency sample per MS (default 1000; 0 = off)
  --platform-pid PID       without --start-platform: the platform process to sample CPU and memory of

and the simulator's flags, with bench defaults --devices 1000 --duration 60 --tenant bench
--keys temperature,humidity,seq (seq is always added: end-to-end sampling needs it):

${simulatorUsage.split('\n').slice(2).join('\n')}`;

/**
 * Parses the bench's command line: the simulator's flags plus its own. Returns 'help' for
 * --help; throws a UsageError naming every problem. With --start-platform the URLs and the
 * admin credentials are filled in later, so no password is required up front.
 */
export function parseBenchArgs(argv: string[], env: Record<string, string | undefined>, cwd: string): BenchOptions | 'help' {
  const values = parseFlags(argv, benchFlags);
  if (values.help) return 'help';
  const startPlatform = values['start-platform'] === true;
  const simulation = toSimulationOptions(values, startPlatform ? { ...env, UMP_ADMIN_PASSWORD: 'set when the platform starts' } : env);
  if (!simulation.keys.includes('seq')) simulation.keys.push('seq');
  const duration = simulation.durationSeconds ?? 60;
  const problems: string[] = [];
  const number = (name: string, fallback: number, min: number) => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
    if (!(n >= min)) problems.push(`--${name} must be a number of at least ${min}, got '${String(raw)}'`);
    return n;
  };
  const warmupSeconds = number('warmup', Math.min(10, Math.round(duration * 2) / 10), 0);
  if (warmupSeconds >= duration) problems.push(`--warmup (${warmupSeconds}) must be shorter than --duration (${duration})`);
  const e2eIntervalMs = number('e2e-interval', 1000, 0);
  const pid = values['platform-pid'] === undefined ? undefined : number('platform-pid', 0, 1);
  if (pid !== undefined && !Number.isInteger(pid)) problems.push(`--platform-pid must be a process id, got '${String(values['platform-pid'])}'`);
  if (pid !== undefined && startPlatform) problems.push('--platform-pid and --start-platform exclude each other');
  if (problems.length) throw new UsageError(problems.join('\n'));
  const out = typeof values.out === 'string' ? values.out : 'bench/results';
  return {
    simulation: { ...simulation, durationSeconds: duration },
    startPlatform,
    warmupSeconds,
    outDir: path.resolve(cwd, out),
    e2eIntervalMs,
    platformPid: pid,
  };
}
