import type { TelemetryKey } from '../telemetry';

/** Readings a behaviour may shift: the numeric sensor values (not `seq`, which benches match on). */
export const shiftableKeys = ['temperature', 'humidity', 'battery'] as const;
export type ShiftableKey = (typeof shiftableKeys)[number];

/** `2.0.0-bad:temperature+=15`: devices running 2.0.0-bad report temperature 15 higher. */
export interface OtaBehaviour {
  version: string;
  key: ShiftableKey;
  delta: number;
}

/** The syntax, for usage texts and error messages. */
export const otaBehaviourSyntax = 'VERSION:KEY+=DELTA (KEY one of temperature, humidity, battery; DELTA a number, may be negative)';

/**
 * Parses `VERSION:KEY+=DELTA`, e.g. `2.0.0-bad:temperature+=15` or `1.1.0:battery+=-20`.
 * The version is everything before the last `:`. Returns an error message instead of throwing.
 */
export function parseOtaBehaviour(text: string): OtaBehaviour | { error: string } {
  const match = /^(.+):([a-z]+)\+=(.+)$/.exec(text.trim());
  if (!match) return { error: `must be ${otaBehaviourSyntax}, got '${text}'` };
  const [, version, key, rawDelta] = match as unknown as [string, string, string, string];
  if (/\s/.test(version)) return { error: `version must not contain spaces, got '${version}'` };
  if (!(shiftableKeys as readonly string[]).includes(key)) return { error: `key must be one of ${shiftableKeys.join(', ')}, got '${key}' in '${text}'` };
  const delta = rawDelta.trim() === '' ? Number.NaN : Number(rawDelta);
  if (!Number.isFinite(delta)) return { error: `delta must be a number, got '${rawDelta}' in '${text}'` };
  return { version, key: key as ShiftableKey, delta };
}

/**
 * A telemetry adjuster (`createDeviceSignal`'s `adjust`) that applies every behaviour naming
 * the version `currentVersion()` returns at that moment; undefined when there are none, so a
 * run without behaviours pays nothing per point. Shifts of one key add up.
 */
export function behaviourAdjuster(
  behaviours: readonly OtaBehaviour[],
  currentVersion: () => string,
): ((values: Record<TelemetryKey, number | string | boolean>) => void) | undefined {
  if (behaviours.length === 0) return undefined;
  return (values) => {
    const version = currentVersion();
    for (const b of behaviours) {
      const value = values[b.key];
      // Rounded as the signal rounds, so a shift does not show as 15.000000000000002.
      if (b.version === version && typeof value === 'number') values[b.key] = Math.round((value + b.delta) * 1000) / 1000;
    }
  };
}
