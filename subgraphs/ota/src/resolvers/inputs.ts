import { badInput, fields, rolloutSpecSchema, rolloutStates, type RolloutSpec } from '@ump/core';
import { z } from 'zod';

// semver.org's reference pattern: x.y.z without leading zeros, optional -pre and +build.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export const semver = z.string().trim().max(128, 'must be at most 128 characters').regex(SEMVER, 'must be a semantic version: x.y.z, optionally -pre and +build');

export const sha256Hex = z
  .string()
  .trim()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be a SHA-256: 64 hex digits')
  .transform((value) => value.toLowerCase());

/** The fields uploadFirmware and createFirmwareFromUrl share. */
export const firmwareFields = z.object({
  title: fields.name,
  version: semver,
  profileIds: z
    .array(fields.id)
    .max(100, 'at most 100 profiles')
    .nullish()
    .transform((ids) => [...new Set(ids ?? [])]),
  releaseNotes: z.string().trim().max(20_000, 'must be at most 20000 characters').nullish(),
  sha256: sha256Hex,
});

export const firmwareUrl = z
  .string()
  .trim()
  .max(2_048, 'must be at most 2048 characters')
  .transform((value, ctx) => {
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') return url;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
    return z.NEVER;
  });

export const firmwareFilter = z.object({ title: z.string().trim().min(1, 'must not be empty').max(200).nullish() });

export const rolloutFilter = z.object({ state: z.enum(rolloutStates).nullish(), firmwareId: fields.id.nullish() });

export const rolloutDeviceStatuses = [
  'ASSIGNED',
  'QUEUED',
  'DOWNLOADING',
  'DOWNLOADED',
  'VERIFYING',
  'UPDATING',
  'UPDATED',
  'FAILED',
  'CANCELLED',
  'ROLLING_BACK',
  'ROLLED_BACK',
] as const;

/** Statuses of a device that is assigned and not done. */
export const inProgressStatuses: ReadonlySet<string> = new Set(['ASSIGNED', 'QUEUED', 'DOWNLOADING', 'DOWNLOADED', 'VERIFYING', 'UPDATING']);

export const reasonText = z.string().trim().min(1, 'must not be empty').max(1_000, 'must be at most 1000 characters').nullish();

// GraphQL hands fields given as null over as null; the spec schema knows only absent ones
// (then its defaults apply), so nulls are dropped before it sees the input.
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}

/**
 * The rollout spec of a CreateRolloutInput (target, stages, gates, retry: the input mirrors
 * the spec's shape), checked with the core schema the engine reads it with. The first issue
 * becomes BAD_USER_INPUT naming the input field, e.g. `input.stages.1.percent`.
 */
export function toRolloutSpec(input: { target?: unknown; stages?: unknown; gates?: unknown; retry?: unknown }): RolloutSpec {
  const spec = withoutNulls({ target: input.target, stages: input.stages, gates: input.gates, retry: input.retry });
  const parsed = rolloutSpecSchema.safeParse(spec);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw badInput(['input', ...issue.path.map(String)].join('.'), issue.message);
}
