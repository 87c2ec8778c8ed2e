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
 * What the alert side calls after it applied an alert change, with the alert's tenant-scoped
 * client (a transaction's, where the alert side runs one), so a ticket is opened or resolved
 * together with the alert change. Implemented in ./automation.
 */
export interface TicketAutomation {
  /** A new or re-opened alert: open a ticket (or link to the open one) when a policy matches. Returns the ticket id, if any. */
  onAlertRaised(db: TenantDb, alert: AlertSnapshot): Promise<string | null>;
  /** An alert cleared: resolve its ticket when every linked alert is cleared and the policy auto-resolves. */
  onAlertCleared(db: TenantDb, alert: AlertSnapshot): Promise<void>;
}
