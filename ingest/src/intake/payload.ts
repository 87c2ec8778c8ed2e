// The device payload format, shared by HTTP and MQTT. ThingsBoard-compatible, so existing
// device firmware and gateways work unchanged:
//   {"temperature": 25, "on": true}                    one point at the time of receipt
//   {"ts": 1700000000000, "values": {"temperature": 25}} one point at `ts` (epoch ms)
//   [ ...either of the above ]                          several points
// In the flat form the keys `ts` and `values` are reserved: an object carrying either is
// read as the timestamped form.
import type { TelemetryValue } from '@ump/core';

/** Limits a payload is checked against; see IntakeConfig for their defaults. */
export interface PayloadLimits {
  maxBatch: number;
  maxFutureSkewMs: number;
  maxAgeMs: number;
}

/** One accepted point: a timestamp and at least one value. */
export interface TelemetryPoint {
  ts: number;
  values: Record<string, TelemetryValue>;
}

/**
 * Outcome of {@link parsePayload}. A refusal carries the HTTP status (413 for too many
 * points, 400 otherwise) and a reason naming the offending path, e.g.
 * `[2].values.temp: expected a number, string or boolean, got null`.
 */
export type PayloadResult = { ok: true; points: TelemetryPoint[] } | { ok: false; status: 400 | 413; reason: string };

/** Longest string value, in UTF-16 code units as the telemetry.v1 contract counts them. */
export const MAX_STRING_LENGTH = 1024;
const KEY = /^[A-Za-z0-9_.:/-]{1,128}$/;
const KEY_RULE = 'keys are 1-128 characters of A-Z a-z 0-9 _ . : / -';
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Below this a ts is almost surely seconds, not milliseconds (1e11 ms is March 1973).
const LIKELY_SECONDS = 1e11;

/** Thrown inside the parser only; parsePayload turns it into a result. */
class Refusal {
  constructor(
    readonly reason: string,
    readonly status: 400 | 413 = 400,
  ) {}
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses and validates a raw body or MQTT payload (UTF-8 JSON). Never throws: every problem
 * (empty or non-JSON body, wrong shape, bad key or value, ts outside
 * [now - maxAgeMs, now + maxFutureSkewMs], more than maxBatch points) comes back as a
 * refusal with the first offending path. Points without a ts get `now`.
 */
export function parsePayload(body: Buffer, limits: PayloadLimits, now: number): PayloadResult {
  if (body.length === 0) return { ok: false, status: 400, reason: '(root): the payload is empty' };
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch (error) {
    const detail = error instanceof SyntaxError ? error.message : 'not UTF-8';
    return { ok: false, status: 400, reason: `(root): not valid JSON (${detail})` };
  }
  return parseTelemetry(value, limits, now);
}

/** Validates an already parsed JSON value; same rules and outcome as {@link parsePayload}. */
export function parseTelemetry(value: unknown, limits: PayloadLimits, now: number): PayloadResult {
  try {
    if (!Array.isArray(value)) return { ok: true, points: [point(value, '', limits, now)] };
    if (value.length === 0) throw new Refusal('(root): an empty array, expected at least one point');
    if (value.length > limits.maxBatch) {
      throw new Refusal(`(root): ${value.length} points, at most ${limits.maxBatch} are accepted at once`, 413);
    }
    return { ok: true, points: value.map((item, i) => point(item, `[${i}]`, limits, now)) };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, status: error.status, reason: error.reason };
    throw error;
  }
}

function point(value: unknown, path: string, limits: PayloadLimits, now: number): TelemetryPoint {
  if (!isObject(value)) throw new Refusal(`${path || '(root)'}: expected an object, got ${describe(value)}`);
  if (!('ts' in value) && !('values' in value)) return { ts: now, values: values(value, path) };
  for (const key of Object.keys(value)) {
    if (key !== 'ts' && key !== 'values') throw new Refusal(`${join(path, key)}: unexpected beside ts and values`);
  }
  if (!('values' in value)) throw new Refusal(`${join(path, 'values')}: required beside ts`);
  const ts = 'ts' in value ? timestamp(value.ts, join(path, 'ts'), limits, now) : now;
  const inner = value.values;
  if (!isObject(inner)) throw new Refusal(`${join(path, 'values')}: expected an object, got ${describe(inner)}`);
  return { ts, values: values(inner, join(path, 'values')) };
}

function timestamp(ts: unknown, path: string, limits: PayloadLimits, now: number): number {
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) {
    throw new Refusal(`${path}: expected epoch milliseconds (a non-negative integer), got ${describe(ts)}`);
  }
  if (ts > now + limits.maxFutureSkewMs) {
    throw new Refusal(`${path}: ${ts} is ${ts - now} ms in the future, at most ${limits.maxFutureSkewMs} ms are accepted`);
  }
  if (ts < now - limits.maxAgeMs) {
    const hint = ts < LIKELY_SECONDS ? ' (epoch milliseconds are expected; was it sent in seconds?)' : '';
    throw new Refusal(`${path}: ${ts} is older than the accepted ${limits.maxAgeMs} ms${hint}`);
  }
  return ts;
}

function values(object: Record<string, unknown>, path: string): Record<string, TelemetryValue> {
  const entries = Object.entries(object);
  if (entries.length === 0) throw new Refusal(`${path || '(root)'}: no values, expected at least one key`);
  for (const [key, value] of entries) {
    if (!KEY.test(key)) throw new Refusal(`${join(path, key)}: invalid key; ${KEY_RULE}`);
    if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) continue;
    if (typeof value === 'string') {
      if (value.length > MAX_STRING_LENGTH) {
        throw new Refusal(`${join(path, key)}: a string of ${value.length} characters, at most ${MAX_STRING_LENGTH} are accepted`);
      }
      continue;
    }
    throw new Refusal(`${join(path, key)}: expected a number, string or boolean, got ${describe(value)}`);
  }
  // fromEntries defines own properties, so even a `__proto__` key stays plain data.
  return Object.fromEntries(entries) as Record<string, TelemetryValue>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `values.temp`, `[2].temp`, or `values["a.b"]` for keys that are not plain identifiers. */
function join(path: string, key: string): string {
  if (!IDENTIFIER.test(key)) return `${path}[${JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key)}]`;
  return path ? `${path}.${key}` : key;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isFinite(value) ? `the number ${value}` : 'a number out of range';
  if (typeof value === 'string') return 'a string';
  return `a ${typeof value === 'object' ? 'nested object' : typeof value}`;
}
