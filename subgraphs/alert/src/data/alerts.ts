import type { Prisma, TenantDb } from '@ump/db';
import {
  severities,
  severityRank,
  uuidv7,
  type AlertEvent,
  type AlertEventType,
  type AlertStatus,
  type Severity,
} from '@ump/core';
import type { AlertSnapshot } from '../tickets/hooks';

/**
 * The client of a transaction started on a tenant-scoped client: the same scope, without the
 * connection and transaction methods. The ticket hooks are typed with TenantDb and are
 * handed a Tx (they never start a transaction on it), hence the casts at those calls.
 */
export type Tx = Omit<TenantDb, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

export interface AlertFilter {
  status?: AlertStatus[] | null;
  severityAtLeast?: Severity | null;
  deviceId?: string | null;
  ruleId?: string | null;
  flapping?: boolean | null;
}

/** The one-open-alert key of a fingerprint (tenant, rule, device). */
export const openKeyOf = (tenantId: string, ruleId: string, deviceId: string) => `${tenantId}:${ruleId}:${deviceId}`;

/** Severities at least as severe as `severity`. */
export const severitiesFrom = (severity: Severity) => severities.filter((s) => severityRank(s) >= severityRank(severity));

export const isActive = (status: string) => status === 'ACTIVE_UNACK' || status === 'ACTIVE_ACK';

function whereOf(filter: AlertFilter): Prisma.AlertWhereInput {
  return {
    ...(filter.status?.length ? { status: { in: filter.status } } : {}),
    ...(filter.severityAtLeast ? { severity: { in: severitiesFrom(filter.severityAtLeast) } } : {}),
    ...(filter.deviceId ? { deviceId: filter.deviceId } : {}),
    ...(filter.ruleId ? { ruleId: filter.ruleId } : {}),
    ...(typeof filter.flapping === 'boolean' ? { flapping: filter.flapping } : {}),
  };
}

/** Alerts and their history, in the scoped tenant. */
export const alertStore = {
  byIds: (db: TenantDb | Tx, ids: readonly string[]) => db.alert.findMany({ where: { id: { in: [...ids] } } }),

  /** Newest first (ids are time-ordered UUIDv7). */
  async page(db: TenantDb, filter: AlertFilter, size: number, beforeId?: string) {
    const where = whereOf(filter);
    const [rows, total] = await Promise.all([
      db.alert.findMany({
        where: beforeId ? { AND: [where, { id: { lt: beforeId } }] } : where,
        orderBy: { id: 'desc' },
        take: size + 1,
      }),
      db.alert.count({ where }),
    ]);
    return { rows, total };
  },

  /** History of several alerts, oldest entry first. */
  historyOf: (db: TenantDb, alertIds: readonly string[]) =>
    db.alertHistory.findMany({ where: { alertId: { in: [...alertIds] } }, orderBy: [{ at: 'asc' }, { id: 'asc' }] }),

  addHistory: (
    db: TenantDb | Tx,
    alert: { id: string; tenantId: string },
    action: string,
    details: Record<string, unknown>,
    actorId: string | null,
    at = new Date(),
  ) =>
    db.alertHistory.create({
      data: { id: uuidv7(), tenantId: alert.tenantId, alertId: alert.id, action, details: details as Prisma.InputJsonObject, actorId, at },
    }),

  /** Open alerts (not CLEARED_ACK), for the incident view. */
  openAlerts: (db: TenantDb, opts: { activeOnly: boolean; severityAtLeast?: Severity | null }) =>
    db.alert.findMany({
      where: {
        status: { in: opts.activeOnly ? ['ACTIVE_UNACK', 'ACTIVE_ACK'] : ['ACTIVE_UNACK', 'ACTIVE_ACK', 'CLEARED_UNACK'] },
        ...(opts.severityAtLeast ? { severity: { in: severitiesFrom(opts.severityAtLeast) } } : {}),
      },
      select: { ruleId: true, deviceId: true, severity: true, firstSeenAt: true, lastSeenAt: true },
      orderBy: { lastSeenAt: 'desc' },
      take: 10_000,
    }),
};

export type AlertRow = Awaited<ReturnType<typeof alertStore.byIds>>[number];
export type AlertHistoryRow = Awaited<ReturnType<typeof alertStore.historyOf>>[number];

/** The alert as the ticket automation sees it. */
export const snapshotOf = (alert: AlertRow): AlertSnapshot => ({
  id: alert.id,
  tenantId: alert.tenantId,
  ruleId: alert.ruleId,
  deviceId: alert.deviceId,
  severity: alert.severity,
  status: alert.status,
  ticketId: alert.ticketId,
  suppressed: alert.suppressed,
});

/** An alert.events.v1 message about `alert` (keys and the fields subscribers filter on). */
export function eventOf(alert: AlertRow, type: AlertEventType, at: number, eventId: string, actorId?: string): AlertEvent {
  return {
    eventId,
    type,
    tenantId: alert.tenantId,
    alertId: alert.id,
    ruleId: alert.ruleId,
    deviceId: alert.deviceId,
    severity: alert.severity as Severity,
    status: alert.status as AlertStatus,
    flapping: alert.flapping,
    ...(alert.ticketId ? { ticketId: alert.ticketId } : {}),
    raisedAt: alert.firstSeenAt.getTime(),
    at,
    ...(actorId ? { actorId } : {}),
  };
}
