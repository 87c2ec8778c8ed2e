import { badInput, validate } from '@ump/core';
import { z } from 'zod';

/** Most buckets one series request may return. */
export const MAX_POINTS = 10_000;

const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "10s", "5m", "1h", "1d" → seconds, between 1 s and 1 d; BAD_USER_INPUT on `bucket` otherwise. */
export function parseBucket(bucket: string): number {
  const match = /^(\d{1,5})([smhd])$/.exec(bucket.trim());
  const seconds = match ? Number(match[1]) * units[match[2]!]! : NaN;
  if (!(seconds >= 1 && seconds <= 86_400)) {
    throw badInput('bucket', 'must be a duration from "1s" to "1d", like "10s", "1m", "1h" or "1d"');
  }
  return seconds;
}

export const telemetryKey = z
  .string()
  .regex(/^[A-Za-z0-9_.:/-]{1,128}$/, 'must be 1-128 characters: letters, digits and _ . : / -');

/** Validates a [from, to) window and the number of buckets it spans. */
export function seriesWindow(args: { key: string; from: Date; to: Date; bucket: string }) {
  const key = validate(telemetryKey, args.key, 'key');
  const bucketSeconds = parseBucket(args.bucket);
  if (args.to.getTime() <= args.from.getTime()) throw badInput('to', 'must be after from');
  const points = Math.ceil((args.to.getTime() - args.from.getTime()) / (bucketSeconds * 1000));
  if (points > MAX_POINTS) {
    throw badInput('bucket', `would return up to ${points} points; the limit is ${MAX_POINTS}: use a larger bucket or a shorter range`);
  }
  return { key, bucketSeconds };
}

const DAY_MS = 86_400_000;
const MAX_STATS_WINDOW_MS = 366 * DAY_MS;

/** The stats window: defaults to the 24 hours before `to` (now); at most a year. */
export function statsWindow(args: { from?: Date | null; to?: Date | null }, now = new Date()) {
  const to = args.to ?? now;
  const from = args.from ?? new Date(to.getTime() - DAY_MS);
  if (to.getTime() <= from.getTime()) throw badInput('to', 'must be after from');
  if (to.getTime() - from.getTime() > MAX_STATS_WINDOW_MS) throw badInput('from', 'the window may span at most 366 days');
  return { from, to };
}
