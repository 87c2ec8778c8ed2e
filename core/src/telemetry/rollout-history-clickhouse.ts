import type { ClickHouseClient } from '@clickhouse/client';
import type { RolloutEvent } from '../events/rollout-events';
import { insertJsonRows, selectRows } from './clickhouse-client';
import { assertUuid, chDateTime, insertSql } from './clickhouse-insert';
import type { TelemetryTables } from './clickhouse-schema';
import { unstorableRolloutEventReason, type FirmwareAlertRate, type RolloutHistoryStore } from './rollout-history';
import { firmwareAlertRatesRow, firmwareAlertRatesSql, stageStatsRow, stageStatsSql } from './rollout-history-queries';
import { rolloutEventsTable } from './rollout-history-schema';

/** The row of `rollout_events` for one event. Throws a RangeError for an event it cannot keep. */
function eventRow(event: RolloutEvent): object {
  const problem = unstorableRolloutEventReason(event);
  if (problem) throw new RangeError(`rollout event ${event.eventId}: ${problem}`);
  return {
    event_id: event.eventId,
    type: event.type,
    tenant_id: event.tenantId,
    rollout_id: event.rolloutId,
    state: event.state,
    stage_index: event.stageIndex,
    device_id: event.deviceId ?? null,
    firmware_id: event.firmwareId ?? null,
    firmware_version: event.firmwareVersion ?? null,
    device_status: event.deviceStatus ?? null,
    gate: event.gate ?? null,
    passed: event.passed ?? null,
    at: chDateTime(new Date(event.at)),
  };
}

const natural = new Intl.Collator('en', { numeric: true });

/** Null first, then versions in natural order (1.9.0 before 1.10.0). */
const byVersion = (a: FirmwareAlertRate, b: FirmwareAlertRate) =>
  a.firmwareVersion === null ? -1 : b.firmwareVersion === null ? 1 : natural.compare(a.firmwareVersion, b.firmwareVersion);

/**
 * The {@link RolloutHistoryStore} on the telemetry store's ClickHouse client and database
 * (chDB binds one data directory per process, so it never opens a client of its own). Its
 * table is created by {@link rolloutHistoryStatements} in the store's `migrate()`; alert
 * rates also read the store's `alert_events` and `telemetry_device_hours`.
 */
export function createClickHouseRolloutHistory(client: ClickHouseClient, tables: TelemetryTables): RolloutHistoryStore {
  const table = rolloutEventsTable(tables);
  return {
    async insert(events) {
      const rows = events.map(eventRow);
      // No token: the table's key is the event id (see rollout-history-schema.ts).
      await insertJsonRows(client, insertSql('rollout_history.insert', table), rows);
    },

    async stageStats({ tenantId, rolloutId }) {
      assertUuid('tenantId', tenantId);
      assertUuid('rolloutId', rolloutId);
      const rows = await selectRows(client, stageStatsSql(table), { tenantId, rolloutId }, stageStatsRow);
      return rows.map((row) => ({
        stageIndex: row.stage,
        assigned: row.assigned,
        updated: row.updated,
        failed: row.failed,
        inProgress: row.in_progress,
        cancelled: row.cancelled,
        rolledBack: row.rolled_back,
      }));
    },

    async firmwareAlertRates({ tenantId, from, to }) {
      assertUuid('tenantId', tenantId);
      const sql = firmwareAlertRatesSql({ rolloutEvents: table, alertEvents: tables.alertEvents, deviceHours: tables.deviceHours });
      const rows = await selectRows(client, sql, { tenantId, fromMs: from.getTime(), toMs: to.getTime() }, firmwareAlertRatesRow);
      return rows
        .map((row) => ({
          firmwareVersion: row.version,
          devices: row.devices,
          alertsRaised: row.alerts,
          deviceHours: row.device_hours,
          alertsPerDeviceHour: row.device_hours > 0 ? row.alerts / row.device_hours : null,
        }))
        .sort(byVersion);
    },
  };
}

export { rolloutHistoryStatements } from './rollout-history-schema';
