import { z } from 'zod';
import type { Severity } from '../alerts/conditions';
import type { AlertEvent } from '../events/alert-events';
import { MAX_POINT_TS, MIN_POINT_TS } from './store';

/** Most rules `AlertStats.byRule` lists. */
export const ALERT_STATS_TOP_RULES = 20;

/** What a tenant's alerts did in a window [from, to). */
export interface AlertStats {
  /** `raised` events in the window: new alerts and re-opened ones. */
  raised: number;
  /** Those raises per severity (at the raise), most severe first; severities without raises are left out. */
  bySeverity: Array<{ severity: Severity; count: number }>;
  /** Those raises per rule, most first (ties by rule id), at most {@link ALERT_STATS_TOP_RULES}. */
  byRule: Array<{ ruleId: string; count: number }>;
  /**
   * Mean seconds from `raisedAt` to the first acknowledgement, over the alerts first
   * acknowledged in the window; null when none was.
   */
  mttaSeconds: number | null;
  /**
   * Mean seconds from `raisedAt` to the clearing that left the alert cleared (a re-opened
   * alert counts its last clearing), over the alerts cleared in the window and still cleared
   * at its end; null when none was.
   */
  mttrSeconds: number | null;
  /** Alerts open at the end of the window: raised and not yet both cleared and acknowledged. */
  open: number;
}

/**
 * The alert history port: every `alert.events.v1` event, kept for analytics, next to the
 * telemetry in the same store. Reads take the tenant id from the caller's verified identity.
 */
export interface AlertHistoryStore {
  /**
   * Stores events. Idempotent per `eventId`: storing an event again (a redelivery) changes
   * no statistic. Throws a RangeError for an event it cannot keep (see unstorableAlertEventReason).
   */
  insert(events: readonly AlertEvent[]): Promise<void>;
  /** Statistics of one tenant's alerts in [from, to). Throws a TypeError when `tenantId` is not a UUID. */
  stats(query: { tenantId: string; from: Date; to: Date }): Promise<AlertStats>;
}

const uuid = z.string().uuid();

/**
 * Why the history cannot keep this event, or undefined when it can. The contract allows any
 * integer timestamp; the table keeps the same range as telemetry points. The alert history
 * writer dead-letters such events, since an insert that fails for ever would block its partition.
 */
export function unstorableAlertEventReason(event: AlertEvent): string | undefined {
  for (const field of ['tenantId', 'alertId', 'ruleId', 'deviceId'] as const) {
    if (!uuid.safeParse(event[field]).success) return `${field}: not a UUID`;
  }
  for (const field of ['raisedAt', 'at'] as const) {
    const ms = event[field];
    if (!(ms >= MIN_POINT_TS && ms <= MAX_POINT_TS)) {
      return `${field}: outside ${new Date(MIN_POINT_TS).toISOString()}..${new Date(MAX_POINT_TS).toISOString()}`;
    }
  }
  return undefined;
}
