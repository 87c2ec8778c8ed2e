// Connectivity as the intake records it and the device subgraph reads it: one cache key per
// device holding the epoch milliseconds of its last message. The cache (Redis at scale) is
// the shared place because the intake writes it far too often for the database.

/** Inactivity timeout of a device without a profile; the profile column's default too. */
export const DEFAULT_INACTIVITY_TIMEOUT_SECONDS = 300;

/**
 * How long a last-seen entry is kept after the last write: 30 days. A device silent for
 * longer reads as never seen (lastSeenAt null), which bounds the keys that deleted or
 * abandoned devices leave behind.
 */
export const LAST_SEEN_TTL_MS = 30 * 24 * 3600 * 1000;

/** Cache key of a device's last-seen time (a decimal string of epoch milliseconds). */
export const deviceLastSeenKey = (deviceId: string) => `device:last-seen:${deviceId}`;

/** Parses a stored last-seen value; null for a missing or unreadable one (never throws). */
export function parseLastSeen(raw: string | null): number | null {
  if (raw === null || !/^\d{1,16}$/.test(raw)) return null;
  return Number(raw);
}

/** Whether a device last seen at `lastSeenAt` still counts as online at `now`. */
export function isOnline(lastSeenAt: number | null, inactivityTimeoutSeconds: number, now: number): boolean {
  return lastSeenAt !== null && now - lastSeenAt <= inactivityTimeoutSeconds * 1000;
}
