import { z } from 'zod';
import { severities } from '../alerts/conditions';
import { int64 } from './clickhouse-client';
import { ALERT_STATS_TOP_RULES } from './alert-history';

// Every statement takes tenantId, fromMs and toMs. Each is written so a duplicated event
// (a redelivery not yet merged away) cannot change its answer: counts are of distinct event
// ids, times are first or last ones. See alert-history-schema.ts.

const since = `fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')`;
const until = `fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')`;
const inWindow = `tenant_id = {tenantId:UUID} AND at >= ${since} AND at < ${until}`;
const acked = `('ACTIVE_ACK', 'CLEARED_ACK')`;
const active = `('ACTIVE_UNACK', 'ACTIVE_ACK')`;
const cleared = `('CLEARED_UNACK', 'CLEARED_ACK')`;

export function raisedBySeveritySql(table: string): string {
  return `/* alert_history.raised_by_severity */
SELECT severity, uniqExact(event_id) AS count
FROM ${table}
WHERE ${inWindow} AND type = 'raised'
GROUP BY severity`;
}

export const raisedBySeverityRow = z.object({ severity: z.enum(severities), count: int64 });

export function raisedByRuleSql(table: string): string {
  return `/* alert_history.raised_by_rule */
SELECT toString(rule_id) AS rule, uniqExact(event_id) AS count
FROM ${table}
WHERE ${inWindow} AND type = 'raised'
GROUP BY rule
ORDER BY count DESC, rule
LIMIT ${ALERT_STATS_TOP_RULES}`;
}

export const raisedByRuleRow = z.object({ rule: z.string().uuid(), count: int64 });

/**
 * Time to acknowledge and to clear, per alert (and raise time: a re-raise that restamps
 * `raised_at` is a new cycle). The first acknowledgement is the first event with an
 * acknowledged status: acknowledgement is never undone. The clearing is the first cleared
 * event after the last active one, counted only when the alert is still cleared at the end
 * of the window, so a re-opened alert is measured to the clearing that ended it.
 *
 * An alert's events all lie at or after its raise, so the scan starts at the earliest raise
 * of any event in the window, not at the beginning of the tenant's history; a window
 * without events scans nothing (the bound is NULL).
 */
export function responseTimesSql(table: string): string {
  return `/* alert_history.response_times */
SELECT
  countIf(ack_in_window) AS acked,
  sumIf(greatest(ack_ms - raised_ms, 0), ack_in_window) AS ack_total_ms,
  countIf(clear_in_window) AS cleared,
  sumIf(greatest(clear_ms - raised_ms, 0), clear_in_window) AS clear_total_ms
FROM (
  SELECT raised_ms, ack_ms, clear_ms,
    acks > 0 AND ack_ms >= {fromMs:Int64} AND ack_ms < {toMs:Int64} AS ack_in_window,
    last_status IN ${cleared} AND length(clears) > 0 AND clear_ms >= {fromMs:Int64} AND clear_ms < {toMs:Int64} AS clear_in_window
  FROM (
    SELECT raised_ms, acks, ack_ms, last_status,
      arrayFilter((t, s) -> s IN ${cleared} AND t >= last_active_ms, ats, statuses) AS clears,
      arrayMin(clears) AS clear_ms
    FROM (
      SELECT
        toUnixTimestamp64Milli(raised_at) AS raised_ms,
        countIf(status IN ${acked}) AS acks,
        minIf(toUnixTimestamp64Milli(at), status IN ${acked}) AS ack_ms,
        argMax(status, at) AS last_status,
        maxIf(toUnixTimestamp64Milli(at), status IN ${active}) AS last_active_ms,
        groupArray(toUnixTimestamp64Milli(at)) AS ats,
        groupArray(status) AS statuses
      FROM ${table}
      WHERE tenant_id = {tenantId:UUID} AND at < ${until}
        AND at >= (SELECT minOrNull(raised_at) FROM ${table} WHERE ${inWindow})
      GROUP BY alert_id, raised_at
    )
  )
)`;
}

export const responseTimesRow = z.object({ acked: int64, ack_total_ms: int64, cleared: int64, clear_total_ms: int64 });

/** Alerts whose last status before the end of the window is not CLEARED_ACK (closed). */
export function openAlertsSql(table: string): string {
  return `/* alert_history.open */
SELECT count() AS open
FROM (
  SELECT argMax(status, at) AS last_status
  FROM ${table}
  WHERE tenant_id = {tenantId:UUID} AND at < ${until}
  GROUP BY alert_id
)
WHERE last_status != 'CLEARED_ACK'`;
}

export const openAlertsRow = z.object({ open: int64 });
