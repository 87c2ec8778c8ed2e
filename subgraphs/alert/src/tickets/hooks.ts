import type { TenantDb } from '@ump/db';

/** The alert as the ticket automation sees it, after the signal or user action was applied. */
export interface AlertSnapshot {
  id: string;
  tenantId: string;
  ruleId: string;
  deviceId: string;
  severity: string;
  status: string;
  ticketId: string | null;
  suppressed: boolean;
}

/**
 * Defers work until the caller's transaction has committed: the automation hands its
 * `ticket.events.v1` publications to it, so no event announces a ticket that a rolled-back
 * transaction never wrote. The caller runs the deferred work, in order, after the commit.
 */
export type AfterCommit = (work: () => Promise<void>) => void;

/**
 * What the alert side calls after it applied an alert change, with the alert's tenant-scoped
 * client (a transaction's, where the alert side runs one), so a ticket is opened or resolved
 * together with the alert change. Implemented in ./automation.
 *
 * Pass `afterCommit` exactly when `db` is a transaction's client: the ticket writes then join
 * that transaction (no nested one: the embedded database cannot do savepoints) and the events
 * wait for the commit. Without it, the ticket writes run in a transaction of their own and the
 * events are published right after it.
 */
export interface TicketAutomation {
  /** A new or re-opened alert: open a ticket (or link to the open one) when a policy matches. Returns the ticket id, if any. */
  onAlertRaised(db: TenantDb, alert: AlertSnapshot, afterCommit?: AfterCommit): Promise<string | null>;
  /** An alert cleared: resolve its ticket when every linked alert is cleared and the policy auto-resolves. */
  onAlertCleared(db: TenantDb, alert: AlertSnapshot, afterCommit?: AfterCommit): Promise<void>;
}
