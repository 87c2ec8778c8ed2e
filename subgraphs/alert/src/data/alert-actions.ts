import type { TenantDb } from '@ump/db';
import { badInput, notFound, uuidv7, type AlertEvent, type AlertEventType, type AlertStatus } from '@ump/core';
import { lockFingerprint, runDeferred } from '../signals/apply';
import type { TicketAutomation } from '../tickets/hooks';
import { alertStore, eventOf, isActive, snapshotOf, type AlertRow, type Tx } from './alerts';

/** What a user does to an alert. */
export type AlertAction =
  | { kind: 'acknowledge' }
  | { kind: 'clear' }
  | { kind: 'assign'; userId: string | null }
  | { kind: 'comment'; text: string };

/** Status transitions of acknowledge and clear; a status absent here cannot take the action. */
const ACKNOWLEDGE: Partial<Record<AlertStatus, AlertStatus>> = { ACTIVE_UNACK: 'ACTIVE_ACK', CLEARED_UNACK: 'CLEARED_ACK' };
const CLEAR: Partial<Record<AlertStatus, AlertStatus>> = { ACTIVE_UNACK: 'CLEARED_UNACK', ACTIVE_ACK: 'CLEARED_ACK' };

/** The event type of a status change: closing (CLEARED_ACK) resolves. */
function eventTypeOf(kind: 'acknowledge' | 'clear', to: AlertStatus): AlertEventType {
  if (to === 'CLEARED_ACK') return 'resolved';
  return kind === 'acknowledge' ? 'acknowledged' : 'cleared';
}

/**
 * Applies a user's action to an alert of the scoped tenant in a transaction holding the
 * fingerprint's lock (so a signal applied at the same moment cannot interleave), writes its
 * history row and lets the ticket automation resolve the ticket of a cleared alert.
 * NOT_FOUND for an alert outside the scope; BAD_USER_INPUT on `id` for an action the
 * alert's status does not allow (acting on a closed alert; comments are always allowed).
 * Resolves with the updated alert and the events to publish after the commit (none for a
 * suppressed alert).
 */
export async function actOnAlert(
  db: TenantDb,
  id: string,
  action: AlertAction,
  actorId: string,
  tickets?: TicketAutomation,
): Promise<{ alert: AlertRow; events: AlertEvent[] }> {
  const deferred: Array<() => Promise<void>> = [];
  const afterCommit = (work: () => Promise<void>) => void deferred.push(work);
  const result = await db.$transaction(async (tx: Tx) => {
    const found = await tx.alert.findUnique({ where: { id }, select: { openKey: true } });
    if (!found) throw notFound('Alert', 'id');
    if (found.openKey) await lockFingerprint(tx, found.openKey);
    const current = (await tx.alert.findUnique({ where: { id } }))!;
    const now = new Date();
    const status = current.status as AlertStatus;
    let alert: AlertRow;
    let type: AlertEventType = 'updated';
    if (action.kind === 'acknowledge' || action.kind === 'clear') {
      const to = (action.kind === 'acknowledge' ? ACKNOWLEDGE : CLEAR)[status];
      if (!to) {
        throw badInput('id', status === 'CLEARED_ACK' ? 'the alert is closed' : `an alert in status ${status} cannot be ${action.kind === 'acknowledge' ? 'acknowledged' : 'cleared'}`);
      }
      alert = await tx.alert.update({
        where: { id },
        data: {
          status: to,
          ...(action.kind === 'acknowledge' ? { acknowledgedAt: now, acknowledgedById: actorId } : { clearedAt: now, clearedById: actorId }),
          ...(to === 'CLEARED_ACK' ? { openKey: null } : {}),
        },
      });
      type = eventTypeOf(action.kind, to);
      await alertStore.addHistory(tx, alert, action.kind === 'acknowledge' ? 'acknowledged' : 'cleared', { status: { from: status, to } }, actorId, now);
      if (isActive(status) && !isActive(to) && !alert.suppressed) await tickets?.onAlertCleared(tx as TenantDb, snapshotOf(alert), afterCommit);
    } else if (action.kind === 'assign') {
      if (status === 'CLEARED_ACK') throw badInput('id', 'the alert is closed');
      if (action.userId && !(await tx.user.findUnique({ where: { id: action.userId }, select: { id: true } }))) {
        throw badInput('userId', 'no such user');
      }
      alert = await tx.alert.update({ where: { id }, data: { assigneeId: action.userId } });
      await alertStore.addHistory(tx, alert, 'assigned', { assigneeId: { from: current.assigneeId, to: action.userId } }, actorId, now);
    } else {
      alert = await tx.alert.update({ where: { id }, data: { updatedAt: now } });
      await alertStore.addHistory(tx, alert, 'commented', { text: action.text }, actorId, now);
    }
    const events = alert.suppressed ? [] : [eventOf(alert, type, now.getTime(), uuidv7(), actorId)];
    return { alert, events };
  });
  await runDeferred(deferred);
  return result;
}
