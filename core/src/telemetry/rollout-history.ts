import type { RolloutEvent } from '../events/rollout-events';
import { MAX_POINT_TS, MIN_POINT_TS } from './store';

/**
 * Device statuses a rollout no longer works on, each counted in its own column of
 * {@link RolloutStageStats}; every other status (ASSIGNED, the OtaStatus steps before
 * UPDATED, ROLLING_BACK, or one this code does not know yet) is "in progress".
 */
export const settledDeviceStatuses = ['UPDATED', 'FAILED', 'CANCELLED', 'ROLLED_BACK'] as const;

/**
 * Statuses after which a device runs the firmware its `device_progress` event names: the
 * rollout's firmware once UPDATED, the firmware it went back to once ROLLED_BACK.
 */
export const installedDeviceStatuses = ['UPDATED', 'ROLLED_BACK'] as const;

/**
 * Where one stage of a rollout stands, from each device's latest `device_progress` status
 * (latest by `at`). `assigned` = `updated + failed + inProgress + cancelled + rolledBack`.
 */
export interface RolloutStageStats {
  stageIndex: number;
  /** Devices the stage took on (every device with a status in it). */
  assigned: number;
  updated: number;
  failed: number;
  /** Devices not settled yet: assigned, installing or rolling back. */
  inProgress: number;
  cancelled: number;
  rolledBack: number;
}

/**
 * Alerts against exposure for one firmware version in a window. A device counts for the
 * firmware it ran at each moment, so a device updated inside the window counts under both.
 */
export interface FirmwareAlertRate {
  /**
   * The version the devices ran: the `firmwareVersion` of their latest UPDATED or
   * ROLLED_BACK `device_progress` at that moment; null for devices never updated through a
   * rollout by then.
   */
  firmwareVersion: string | null;
  /** Devices that raised an alert or sent telemetry in the window while on this version. */
  devices: number;
  /** `raised` alert events in the window (counted once per event id) of devices on this version. */
  alertsRaised: number;
  /**
   * Hours (clock hours overlapping the window) in which a device on this version sent
   * telemetry; an hour counts for the firmware the device ran at its end.
   */
  deviceHours: number;
  /** `alertsRaised / deviceHours`; null without device-hours. */
  alertsPerDeviceHour: number | null;
}

/**
 * The rollout history port: every `rollout.events.v1` event, kept for analytics next to the
 * telemetry and the alert history. Reads take the tenant id from the caller's verified
 * identity and only ever read that tenant's rows.
 */
export interface RolloutHistoryStore {
  /**
   * Stores events. Idempotent per `eventId`: storing an event again (a redelivery) changes
   * no statistic. Throws a RangeError for an event it cannot keep (see unstorableRolloutEventReason).
   */
  insert(events: readonly RolloutEvent[]): Promise<void>;
  /**
   * One row per stage that started or has devices, by stage index; empty for a rollout the
   * tenant has no events of (another tenant's included). Throws a TypeError when an id is
   * not a UUID.
   */
  stageStats(query: { tenantId: string; rolloutId: string }): Promise<RolloutStageStats[]>;
  /**
   * Alert rates per firmware version over [from, to): one row per version with alerts or
   * telemetry in the window, null (devices not updated by a rollout) first, then versions
   * in natural order (1.9 before 1.10). Throws a TypeError when `tenantId` is not a UUID.
   */
  firmwareAlertRates(query: { tenantId: string; from: Date; to: Date }): Promise<FirmwareAlertRate[]>;
}

/**
 * Why the history cannot keep this event, or undefined when it can. `at` must lie in the
 * range of telemetry points; a `device_progress` without its device or status says nothing
 * any statistic could use, so it is refused too (a producer bug worth seeing). The rollout
 * history writer dead-letters such events, since an insert that fails for ever would block
 * its partition.
 */
export function unstorableRolloutEventReason(event: RolloutEvent): string | undefined {
  if (!(event.at >= MIN_POINT_TS && event.at <= MAX_POINT_TS)) {
    return `at: outside ${new Date(MIN_POINT_TS).toISOString()}..${new Date(MAX_POINT_TS).toISOString()}`;
  }
  if (event.type === 'device_progress') {
    if (event.deviceId === undefined) return 'deviceId: required for device_progress';
    if (event.deviceStatus === undefined || event.deviceStatus === '') return 'deviceStatus: required for device_progress';
  }
  if (event.stageIndex > 65_535) return 'stageIndex: above 65535';
  return undefined;
}
