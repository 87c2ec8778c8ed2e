import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseOtaBehaviour, type OtaBehaviour } from './ota/behaviour';
import { DEFAULT_FIRMWARE, parseFirmwareRef, type FirmwareRef } from './ota/firmware';
import type { OtaOptions } from './ota/fleet';
import { telemetryKeys, type TelemetryKey } from './telemetry';

/** What a simulation needs; `runSimulation` fills the optional tuning knobs with defaults. */
export interface SimulationOptions {
  devices: number;
  /** Messages per second per device; fractional rates (0.1 = one every 10 s) are fine. */
  rate: number;
  protocol: 'mqtt' | 'http';
  /** Seconds of sending; undefined runs until aborted. */
  durationSeconds?: number;
  apiUrl: string;
  intakeHttpUrl: string;
  mqttUrl: string;
  /** The platform admin, who creates the tenant and its operator. */
  email: string;
  password: string;
  tenant: string;
  keys: TelemetryKey[];
  /** Points per message. */
  batch: number;
  /** MQTT connections being opened at once (default 100). */
  connectConcurrency?: number;
  /** GraphQL calls in flight while provisioning devices (default 20). */
  provisionConcurrency?: number;
  /** A message not accepted within this time counts as failed with reason `timeout` (default 10,000). */
  ackTimeoutMs?: number;
  /** Unacknowledged messages a device may have; beyond it a message is dropped as `backpressure` (default 32). */
  maxInFlightPerDevice?: number;
  /** The firmware every device runs at start (default ump-sim@1.0.0); with OTA, each announces it. */
  firmware?: FirmwareRef;
  /** Telemetry shifts by the firmware version a device runs, OTA or not (default none). */
  behaviours?: OtaBehaviour[];
  /** Device-side OTA: agents that take updates and report on them; off when undefined. */
  ota?: OtaOptions;
}

/** A command-line mistake; the message names every bad flag. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The flags of `npm run simulate`; the bench adds its own to these. */
export const simulatorFlags = {
  devices: { type: 'string', default: '10' },
  rate: { type: 'string', default: '1' },
  protocol: { type: 'string', default: 'mqtt' },
  duration: { type: 'string' },
  api: { type: 'string', default: 'http://localhost:4000/graphql' },
  'intake-http': { type: 'string', default: 'http://localhost:4080' },
  mqtt: { type: 'string', default: 'mqtt://localhost:1883' },
  email: { type: 'string' },
  password: { type: 'string' },
  tenant: { type: 'string', default: 'simulator' },
  keys: { type: 'string', default: telemetryKeys.join(',') },
  batch: { type: 'string', default: '1' },
  'connect-concurrency': { type: 'string', default: '100' },
  firmware: { type: 'string' },
  ota: { type: 'boolean', default: false },
  'ota-poll-seconds': { type: 'string' },
  'ota-failure-rate': { type: 'string' },
  'ota-seed': { type: 'string' },
  'ota-failure-spread': { type: 'boolean' },
  'ota-install-seconds': { type: 'string' },
  'ota-behaviour': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** The simulator's --help text. */
export const simulatorUsage = `Usage: npm run simulate -- [flags]

  --devices N              simulated devices, named sim-00001… (default 10)
  --rate R                 messages per second per device, may be fractional (default 1)
  --protocol mqtt|http     how devices send (default mqtt)
  --duration S             seconds to send (default: until Ctrl+C)
  --api URL                GraphQL API (default http://localhost:4000/graphql)
  --intake-http URL        HTTP intake (default http://localhost:4080)
  --mqtt URL               MQTT intake (default mqtt://localhost:1883)
  --email, --password      platform admin (default: UMP_ADMIN_EMAIL / UMP_ADMIN_PASSWORD)
  --tenant NAME            tenant to create or reuse (default simulator)
  --keys K1,K2,…           of ${telemetryKeys.join(', ')} (default all)
  --batch K                points per message (default 1)
  --connect-concurrency C  MQTT connections opened at once (default 100)

Firmware and OTA:
  --firmware TITLE@VERSION what every device runs at start (default ump-sim@1.0.0)
  --ota                    devices take firmware updates: MQTT devices subscribe to
                           v1/devices/me/ota, HTTP devices poll /api/v1/ota/pending; each
                           announces its firmware, downloads (resuming cut downloads), checks
                           the SHA-256, installs and reports every step; firmware comes
                           from --intake-http, for MQTT devices too (default off)
  --ota-poll-seconds S     how often HTTP devices poll for an update (default 5)
  --ota-failure-rate P     share of installs that fail with "simulated install failure",
                           0 to 1, fixed per device and update by --ota-seed (default 0)
  --ota-seed N             seeds those failures; same seed, same devices fail (default 0)
  --ota-failure-spread     fail exactly that share instead, spread evenly over the devices
                           in id order (the order rollouts pick them): the same every run
  --ota-install-seconds S  simulated install time (default 2)
  --ota-behaviour RULE     shifts the telemetry of devices while they run a version, with
                           or without --ota; repeatable. RULE is VERSION:KEY+=DELTA, KEY one
                           of temperature, humidity, battery, DELTA a number (negative
                           shifts down), e.g. --ota-behaviour '2.0.0-bad:temperature+=15'
`;

/** Raw flag values as `parseArgs` returns them for `simulatorFlags`. */
export type SimulatorFlagValues = { [K in keyof typeof simulatorFlags]?: string | boolean | string[] };

/**
 * Parses the simulator's command line. Returns `'help'` for `--help`; throws a UsageError
 * naming every unknown, missing or malformed flag at once. Admin credentials fall back to
 * `UMP_ADMIN_EMAIL` (default admin@ump.local) and `UMP_ADMIN_PASSWORD` from `env`.
 */
export function parseSimulatorArgs(argv: string[], env: Record<string, string | undefined>): SimulationOptions | 'help' {
  const values = parseFlags(argv, simulatorFlags);
  if (values.help) return 'help';
  return toSimulationOptions(values, env);
}

/** `parseArgs` in strict mode, with its errors turned into UsageErrors. */
export function parseFlags(argv: string[], options: NonNullable<ParseArgsConfig['options']>): Record<string, string | boolean | string[] | undefined> {
  try {
    // parseArgs types its values from a literal config; callers validate every value anyway.
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | string[] | undefined>;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Validates simulator flag values (from `parseFlags`) into options; throws one UsageError listing every problem. */
export function toSimulationOptions(values: SimulatorFlagValues, env: Record<string, string | undefined>): SimulationOptions {
  const problems: string[] = [];
  const str = (name: keyof typeof simulatorFlags) => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const int = (name: keyof typeof simulatorFlags, min: number, max: number) => {
    const raw = str(name) ?? '';
    const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(n >= min && n <= max)) problems.push(`--${name} must be a whole number from ${min} to ${max}, got '${raw}'`);
    return n;
  };
  const positive = (name: keyof typeof simulatorFlags, max: number) => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    const n = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!(n > 0 && n <= max)) problems.push(`--${name} must be a number above 0 and at most ${max}, got '${raw}'`);
    return n;
  };
  const url = (name: keyof typeof simulatorFlags, protocols: string[]) => {
    const raw = str(name) ?? '';
    try {
      if (!protocols.includes(new URL(raw).protocol)) throw new Error();
    } catch {
      problems.push(`--${name} must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL, got '${raw}'`);
    }
    return raw;
  };

  const protocol = str('protocol');
  if (protocol !== 'mqtt' && protocol !== 'http') problems.push(`--protocol must be mqtt or http, got '${protocol}'`);
  const keys = (str('keys') ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  const unknown = keys.filter((k) => !(telemetryKeys as readonly string[]).includes(k));
  if (keys.length === 0) problems.push(`--keys must name at least one of ${telemetryKeys.join(', ')}`);
  if (unknown.length) problems.push(`--keys: unknown ${unknown.join(', ')} (known: ${telemetryKeys.join(', ')})`);
  if (new Set(keys).size !== keys.length) problems.push('--keys names a key twice');
  const email = str('email') ?? env.UMP_ADMIN_EMAIL ?? 'admin@ump.local';
  const password = str('password') ?? env.UMP_ADMIN_PASSWORD;
  if (!password) problems.push('--password (or UMP_ADMIN_PASSWORD) is required: the platform admin creates the tenant');
  const tenant = (str('tenant') ?? '').trim();
  if (!tenant) problems.push('--tenant must not be empty');

  const firmwareRef = parseFirmwareRef(str('firmware') ?? `${DEFAULT_FIRMWARE.title}@${DEFAULT_FIRMWARE.version}`);
  if ('error' in firmwareRef) problems.push(`--firmware ${firmwareRef.error}`);
  const behaviours: OtaBehaviour[] = [];
  const rules = values['ota-behaviour'];
  for (const rule of Array.isArray(rules) ? rules : typeof rules === 'string' ? [rules] : []) {
    const parsed = parseOtaBehaviour(rule);
    if ('error' in parsed) problems.push(`--ota-behaviour ${parsed.error}`);
    else if (behaviours.some((b) => b.version === parsed.version && b.key === parsed.key)) {
      problems.push(`--ota-behaviour shifts ${parsed.key} of ${parsed.version} twice: give one rule per version and key`);
    } else behaviours.push(parsed);
  }
  const ota = values.ota === true ? otaOptions(values, problems) : undefined;
  if (values.ota !== true) {
    const orphans: string[] = (['ota-poll-seconds', 'ota-failure-rate', 'ota-seed', 'ota-install-seconds'] as const).filter((f) => str(f) !== undefined);
    if (values['ota-failure-spread'] === true) orphans.push('ota-failure-spread');
    if (orphans.length) problems.push(`${orphans.map((f) => `--${f}`).join(', ')} ${orphans.length > 1 ? 'have' : 'has'} no effect without --ota`);
  }

  const options: SimulationOptions = {
    devices: int('devices', 1, 1_000_000),
    rate: positive('rate', 1000) ?? Number.NaN,
    protocol: protocol === 'http' ? 'http' : 'mqtt',
    durationSeconds: positive('duration', 7 * 86_400),
    apiUrl: url('api', ['http:', 'https:']),
    intakeHttpUrl: url('intake-http', ['http:', 'https:']),
    mqttUrl: url('mqtt', ['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:']),
    email,
    password: password ?? '',
    tenant,
    keys: keys as TelemetryKey[],
    batch: int('batch', 1, 1000),
    connectConcurrency: int('connect-concurrency', 1, 10_000),
    firmware: 'error' in firmwareRef ? { ...DEFAULT_FIRMWARE } : firmwareRef,
    behaviours,
    ota,
  };
  if (problems.length) throw new UsageError(problems.join('\n'));
  return options;
}

/** The `--ota-*` flags, validated; problems go to `problems`. */
function otaOptions(values: SimulatorFlagValues, problems: string[]): OtaOptions {
  const number = (name: keyof typeof simulatorFlags, fallback: number, ok: (n: number) => boolean, what: string) => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
    if (!ok(n)) problems.push(`--${name} must be ${what}, got '${String(raw)}'`);
    return n;
  };
  return {
    pollSeconds: number('ota-poll-seconds', 5, (n) => n > 0 && n <= 3_600, 'a number of seconds above 0 and at most 3600'),
    failureRate: number('ota-failure-rate', 0, (n) => n >= 0 && n <= 1, 'a probability from 0 to 1, e.g. 0.1'),
    seed: number('ota-seed', 0, (n) => Number.isSafeInteger(n) && n >= 0, 'a whole number of at least 0'),
    installMs: number('ota-install-seconds', 2, (n) => n >= 0 && n <= 3_600, 'a number of seconds from 0 to 3600') * 1000,
    failureSpread: values['ota-failure-spread'] === true,
  };
}
