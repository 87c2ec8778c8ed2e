import type { ClickHouseClient } from '@clickhouse/client';
import { severities } from '../alerts/conditions';
import type { AlertEvent } from '../events/alert-events';
import { unstorableAlertEventReason, type AlertHistoryStore } from './alert-history';
import {
  openAlertsRow, openAlertsSql, raisedByRuleRow, raisedByRuleSql, raisedBySeverityRow, raisedBySeveritySql,
  responseTimesRow, responseTimesSql,
} from './alert-history-queries';
import { insertJsonRows, selectRows } from './clickhouse-client';
import { assertUuid, chDateTime, insertSql } from './clickhouse-insert';

/** The row of `alert_events` for one event. Throws a RangeError for an event it cannot keep. */
function eventRow(event: AlertEvent): object {
  const problem = unstorableAlertEventReason(event);
  if (problem) throw new RangeError(`alert event ${event.eventId}: ${problem}`);
  return {
    event_id: event.eventId,
    type: event.type,
    tenant_id: event.tenantId,
    alert_id: event.alertId,
    rule_id: event.ruleId,
    device_id: event.deviceId,
    severity: event.severity,
    status: event.status,
    raised_at: chDateTime(new Date(event.raisedAt)),
    at: chDateTime(new Date(event.at)),
    actor_id: event.actorId ?? null,
  };
}

/**
 * The {@link AlertHistoryStore} on the telemetry store's ClickHouse client and database
 * (chDB binds one data directory per process, so it never opens a client of its own).
 * `table` is the fully qualified `alert_events` table, created by the store's `migrate()`.
 */
export function createClickHouseAlertHistory(client: ClickHouseClient, table: string): AlertHistoryStore {
  return {
    async insert(events) {
      const rows = events.map(eventRow);
      // No token: the table's key is the event id (see alert-history-schema.ts).
      await insertJsonRows(client, insertSql('alert_history.insert', table), rows);
    },

    async stats({ tenantId, from, to }) {
      assertUuid('tenantId', tenantId);
      const params = { tenantId, fromMs: from.getTime(), toMs: to.getTime() };
      const [bySeverity, byRule, [times], [open]] = await Promise.all([
        selectRows(client, raisedBySeveritySql(table), params, raisedBySeverityRow),
        selectRows(client, raisedByRuleSql(table), params, raisedByRuleRow),
        selectRows(client, responseTimesSql(table), params, responseTimesRow),
        selectRows(client, openAlertsSql(table), params, openAlertsRow),
      ]);
      const mean = (totalMs = 0, count = 0) => (count > 0 ? totalMs / count / 1000 : null);
      return {
        raised: bySeverity.reduce((sum, row) => sum + row.count, 0),
        bySeverity: bySeverity
          .sort((a, b) => severities.indexOf(a.severity) - severities.indexOf(b.severity))
          .map(({ severity, count }) => ({ severity, count })),
        byRule: byRule.map(({ rule, count }) => ({ ruleId: rule, count })),
        mttaSeconds: mean(times?.ack_total_ms, times?.acked),
        mttrSeconds: mean(times?.clear_total_ms, times?.cleared),
        open: open?.open ?? 0,
      };
    },
  };
}
