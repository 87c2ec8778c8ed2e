import type { RolloutGates } from '@ump/core';
import type { GateVerdict } from './state';

/** A RolloutDevice as the install gates see it. */
export interface StageDevice {
  deviceId: string;
  status: string;
  commandId: string;
  assignedAt: Date;
  finishedAt: Date | null;
}

/** RolloutDevice statuses after which the engine expects nothing more of the device in this stage. */
const finalDeviceStatuses = new Set(['UPDATED', 'FAILED', 'CANCELLED', 'ROLLED_BACK']);
export const isFinalDevice = (status: string) => finalDeviceStatuses.has(status);

/**
 * INSTALL_FAILURE, judged at every pass on the stage's devices: once `minSample` of them are
 * final, a failure ratio at or above `maxFailureRatio` fails it. Null while the sample is not
 * in or the ratio is below the limit (nothing to record).
 */
export function installFailureGate(devices: readonly StageDevice[], gates: RolloutGates): GateVerdict | null {
  const final = devices.filter((d) => isFinalDevice(d.status)).length;
  const failed = devices.filter((d) => d.status === 'FAILED').length;
  if (final === 0 || final < gates.minSample) return null;
  const ratio = failed / final;
  if (ratio < gates.maxFailureRatio) return null;
  return { gate: 'INSTALL_FAILURE', passed: false, evidence: { failed, final, ratio, limit: gates.maxFailureRatio } };
}

/** INSTALL_SUCCESS, judged once the stage is complete: updated / assigned at least `minSuccessRatio`. */
export function installSuccessGate(devices: readonly StageDevice[], gates: RolloutGates): GateVerdict {
  const assigned = devices.length;
  const updated = devices.filter((d) => d.status === 'UPDATED').length;
  // A stage whose reach earlier stages already met assigns nobody: nothing failed.
  const ratio = assigned === 0 ? 1 : updated / assigned;
  return { gate: 'INSTALL_SUCCESS', passed: ratio >= gates.minSuccessRatio, evidence: { updated, assigned, ratio, limit: gates.minSuccessRatio } };
}

/** Devices of the stage still busy after their stage timeout: they count as failed ("timed out"). */
export function timedOut(devices: readonly StageDevice[], timeoutSeconds: number, now: number): StageDevice[] {
  return devices.filter((d) => !isFinalDevice(d.status) && d.status !== 'ROLLING_BACK' && d.assignedAt.getTime() + timeoutSeconds * 1000 <= now);
}

/** When the stage's last device finished; null while one has not. */
export function stageFinishedAt(devices: readonly StageDevice[]): number | null {
  let last = 0;
  for (const d of devices) {
    if (!isFinalDevice(d.status)) return null;
    last = Math.max(last, d.finishedAt?.getTime() ?? 0);
  }
  return last;
}
