import { ErrorCode, UmpError, type EventBus, type Logger, type TicketEventType } from '@ump/core';
import type { TenantDb } from '@ump/db';
import { policyStore } from './data/policies';
import { ticketStore, type TicketRow } from './data/tickets';
import { publishTicketEvent } from './events';
import type { AfterCommit, AlertSnapshot, TicketAutomation } from './hooks';
import { isOpenStatus } from './lifecycle';
import { choosePolicy } from './matching';

/** Dependencies of {@link createTicketAutomation}. */
export interface TicketAutomationDeps {
  /** ticket.events.v1 is published here. */
  bus: EventBus;
  logger: Logger;
  /** Clock for SLA due times and resolutions; default the system clock. */
  now?: () => Date;
}

/**
 * Opens, links, resolves and re-opens tickets as alerts come and go, following the tenant's
 * ticket policies (see choosePolicy); a raised alert already on a RESOLVED ticket re-opens it.
 *
 * Call the hooks with a client scoped to the alert's tenant. Inside the alert side's
 * transaction, pass `afterCommit`: the ticket writes join that transaction and the
 * `ticket.events.v1` events (`opened`, `linked`, `resolved`, `reopened`; actor: the platform)
 * are handed to it. Without it, the writes run in a transaction of their own and the events
 * are published right after. Database errors propagate; a failed publish is only logged.
 *
 * Concurrency: the alert side handles one rule and device at a time, so two raises never race
 * to open tickets for the same rule and device; an alert is only ever linked while it has no
 * ticket, so a repeated call links nothing twice.
 */
export function createTicketAutomation(deps: TicketAutomationDeps): TicketAutomation {
  const now = deps.now ?? (() => new Date());

  /**
   * Publishes after the commit. The linked alert ids are read now, inside the transaction
   * that wrote them: they are not visible outside it before the commit.
   */
  async function announce(afterCommit: AfterCommit | undefined, db: TenantDb, type: TicketEventType, ticket: TicketRow, at = now()) {
    const alertIds = await ticketStore.alertIds(db, ticket.id);
    const publish = () => publishTicketEvent(deps, { type, ticket, alertIds, actorId: null, at });
    if (afterCommit) afterCommit(publish);
    else await publish();
  }

  async function onAlertRaised(db: TenantDb, alert: AlertSnapshot, afterCommit?: AfterCommit): Promise<string | null> {
    // A suppressed alert is recorded for the history, but nobody is to be called out for it.
    if (alert.suppressed) return alert.ticketId;
    if (alert.ticketId) {
      await reopenIfResolved(db, alert.ticketId, afterCommit);
      return alert.ticketId;
    }
    const [policies, device] = await Promise.all([
      policyStore.enabled(db),
      db.device.findUnique({ where: { id: alert.deviceId }, select: { name: true, profileId: true, labels: true } }),
    ]);
    if (policies.length === 0) return null;
    const policy = choosePolicy(policies, { severity: alert.severity, ruleId: alert.ruleId, device: device ?? { profileId: null, labels: [] } });
    if (!policy) return null;

    const open = await ticketStore.openFor(db, policy.id, alert.ruleId, alert.deviceId);
    if (open) {
      if (!(await ticketStore.link(db, alert.id, open.id))) return currentTicketOf(db, alert.id);
      await announce(afterCommit, db, 'linked', open);
      return open.id;
    }

    const rule = await db.alertRule.findUnique({ where: { id: alert.ruleId }, select: { name: true } });
    const at = now();
    const data = {
      tenantId: alert.tenantId,
      title: `${rule?.name ?? 'Alert'} on ${device?.name ?? alert.deviceId}`,
      description: `Opened by ticket policy "${policy.name}" for a ${alert.severity} alert.`,
      priority: policy.priority,
      assigneeId: policy.assigneeId,
      policyId: policy.id,
      slaDueAt: new Date(at.getTime() + policy.slaMinutes * 60_000),
    };
    let ticket;
    try {
      ticket = await ticketStore.create(db, data, [alert.id], { joined: afterCommit !== undefined });
    } catch (error) {
      // The alert was linked meanwhile (a user's manual ticket took it): that ticket stands.
      if (!isConflict(error)) throw error;
      return currentTicketOf(db, alert.id);
    }
    await announce(afterCommit, db, 'opened', ticket, at);
    return ticket.id;
  }

  async function onAlertCleared(db: TenantDb, alert: AlertSnapshot, afterCommit?: AfterCommit): Promise<void> {
    if (!alert.ticketId) return;
    const [ticket] = await ticketStore.byIds(db, [alert.ticketId]);
    if (!ticket || !isOpenStatus(ticket.status) || !ticket.policyId) return;
    const [policy] = await policyStore.byIds(db, [ticket.policyId]);
    if (!policy?.autoResolve) return;
    if ((await ticketStore.activeAlertCount(db, ticket.id)) > 0) return;
    const at = now();
    // Only from the status just read: a user who changed the ticket meanwhile wins.
    const resolved = await ticketStore.update(db, ticket.id, { status: 'RESOLVED', resolvedAt: at }, ticket.status);
    if (resolved) await announce(afterCommit, db, 'resolved', resolved, at);
  }

  /**
   * An alert fired again after its ticket was resolved: the problem is back, so is the ticket.
   * A CLOSED ticket stays closed (its work is signed off); the alert stays on it.
   */
  async function reopenIfResolved(db: TenantDb, ticketId: string, afterCommit: AfterCommit | undefined) {
    const reopened = await ticketStore.update(db, ticketId, { status: 'OPEN', resolvedAt: null }, 'RESOLVED');
    if (reopened) await announce(afterCommit, db, 'reopened', reopened);
  }

  return { onAlertRaised, onAlertCleared };
}

const isConflict = (error: unknown) => error instanceof UmpError && error.extensions.code === ErrorCode.CONFLICT;

async function currentTicketOf(db: TenantDb, alertId: string): Promise<string | null> {
  const row = await db.alert.findUnique({ where: { id: alertId }, select: { ticketId: true } });
  return row?.ticketId ?? null;
}
