import { z } from 'zod';
import { otaStatuses } from '../ota/statuses';
import { int64 } from './clickhouse-client';
import { installedDeviceStatuses, settledDeviceStatuses } from './rollout-history';

// Every statement is written so a duplicated event (a redelivery not yet merged away)
// cannot change its answer: devices and event ids are counted distinct, and a device's
// status is its latest one. See rollout-history-schema.ts.

// Constant status names only (never input), so they are inlined.
const quoted = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

// Ties at the same millisecond go to the later step, so a device's latest status never
// depends on which of two simultaneous events a part happens to hold first. FAILED ranks
// first: the engine retries a failed install at once, so FAILED and the new ASSIGNED share
// their millisecond, and the retry is what holds.
const statusOrder = ['FAILED', 'ASSIGNED', ...otaStatuses.filter((s) => s !== 'FAILED'), 'CANCELLED', 'ROLLING_BACK', 'ROLLED_BACK'];
const statusRank = `indexOf([${quoted(statusOrder)}], assumeNotNull(device_status))`;

/**
 * Per stage of one rollout: devices by their latest status. A device belongs to the stage
 * of its first `device_progress` (the stage that assigned it): events carry the rollout's
 * stage at the time, so a late report or a rollback names a later one. Stages that started
 * without devices yet are listed with zeros.
 * Parameters: tenantId, rolloutId.
 */
export function stageStatsSql(table: string): string {
  const ofRollout = `tenant_id = {tenantId:UUID} AND rollout_id = {rolloutId:UUID}`;
  return `/* rollout_history.stage_stats */
SELECT stage,
  countIf(has_device) AS assigned,
  countIf(has_device AND status = 'UPDATED') AS updated,
  countIf(has_device AND status = 'FAILED') AS failed,
  countIf(has_device AND status NOT IN (${quoted(settledDeviceStatuses)})) AS in_progress,
  countIf(has_device AND status = 'CANCELLED') AS cancelled,
  countIf(has_device AND status = 'ROLLED_BACK') AS rolled_back
FROM (
  SELECT argMin(stage_index, at) AS stage, argMax(assumeNotNull(device_status), (at, ${statusRank})) AS status, true AS has_device
  FROM ${table}
  WHERE ${ofRollout} AND type = 'device_progress' AND device_id IS NOT NULL AND device_status IS NOT NULL
  GROUP BY device_id
  UNION ALL
  SELECT stage_index AS stage, '' AS status, false AS has_device
  FROM ${table}
  WHERE ${ofRollout} AND type = 'stage_started'
)
GROUP BY stage
ORDER BY stage`;
}

export const stageStatsRow = z.object({
  stage: z.number().int(),
  assigned: int64,
  updated: int64,
  failed: int64,
  in_progress: int64,
  cancelled: int64,
  rolled_back: int64,
});

/**
 * Alerts raised and device-hours observed in [from, to), per firmware version the device
 * ran at that moment: an ASOF JOIN finds each alert's (and each device-hour's) device's
 * latest UPDATED or ROLLED_BACK event at or before it; without one the version is NULL.
 * A device-hour is an hour of `telemetry_device_hours` overlapping the window, attributed
 * at its last millisecond. Parameters: tenantId, fromMs, toMs.
 */
export function firmwareAlertRatesSql(tables: { rolloutEvents: string; alertEvents: string; deviceHours: string }): string {
  const since = `fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')`;
  const until = `fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')`;
  return `/* rollout_history.firmware_alert_rates */
WITH
  installs AS (
    SELECT assumeNotNull(device_id) AS device, at, firmware_version
    FROM ${tables.rolloutEvents}
    WHERE tenant_id = {tenantId:UUID} AND type = 'device_progress' AND device_id IS NOT NULL
      AND device_status IN (${quoted(installedDeviceStatuses)}) AND at < ${until}
  ),
  raised AS (
    SELECT device_id AS device, at, event_id
    FROM ${tables.alertEvents}
    WHERE tenant_id = {tenantId:UUID} AND type = 'raised' AND at >= ${since} AND at < ${until}
  ),
  hours AS (
    SELECT DISTINCT device_id AS device, hour, toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(3599999) AS at
    FROM ${tables.deviceHours}
    WHERE tenant_id = {tenantId:UUID} AND hour >= toStartOfHour(${since}) AND hour < ${until}
  )
SELECT version,
  uniqExact(device) AS devices,
  uniqExactIf(event_id, is_alert) AS alerts,
  uniqExactIf((device, hour), NOT is_alert) AS device_hours
FROM (
  SELECT true AS is_alert, r.device AS device, r.event_id AS event_id, toDateTime(0, 'UTC') AS hour, i.firmware_version AS version
  FROM raised AS r ASOF LEFT JOIN installs AS i ON r.device = i.device AND i.at <= r.at
  UNION ALL
  SELECT false AS is_alert, h.device AS device, '' AS event_id, h.hour AS hour, i.firmware_version AS version
  FROM hours AS h ASOF LEFT JOIN installs AS i ON h.device = i.device AND i.at <= h.at
)
GROUP BY version`;
}

export const firmwareAlertRatesRow = z.object({
  version: z.string().nullable(),
  devices: int64,
  alerts: int64,
  device_hours: int64,
});
