/** What a device reports about an update it was told to install, in the order it happens. */
export const otaStatuses = ['QUEUED', 'DOWNLOADING', 'DOWNLOADED', 'VERIFYING', 'UPDATING', 'UPDATED', 'FAILED'] as const;
export type OtaStatus = (typeof otaStatuses)[number];

/** Statuses after which a device does nothing more for that assignment. */
export const finalOtaStatuses: ReadonlySet<string> = new Set<OtaStatus>(['UPDATED', 'FAILED']);

/**
 * Whether `next` may replace `current` for the same assignment: reports arrive over two
 * transports and may be redelivered, so an older step never overwrites a newer one, and a
 * final status is final. FAILED may follow any step but UPDATED.
 */
export function isOtaProgress(current: string | null | undefined, next: OtaStatus): boolean {
  if (!current || !otaStatuses.includes(current as OtaStatus)) return true;
  if (finalOtaStatuses.has(current)) return false;
  if (next === 'FAILED') return true;
  return otaStatuses.indexOf(next) > otaStatuses.indexOf(current as OtaStatus);
}

export const rolloutStates = ['DRAFT', 'RUNNING', 'PAUSED', 'SUCCEEDED', 'FAILED', 'ABORTED', 'ROLLED_BACK', 'CANCELLED'] as const;
export type RolloutState = (typeof rolloutStates)[number];

/** States a rollout never leaves. */
export const finalRolloutStates: ReadonlySet<string> = new Set<RolloutState>(['SUCCEEDED', 'FAILED', 'ABORTED', 'ROLLED_BACK', 'CANCELLED']);
