import { forTenant, isUniqueViolation, type Prisma, type PrismaClient, type TenantDb } from '@ump/db';
import { severityRank, uuidv7, type AlertEvent, type AlertEventType, type AlertSignal, type Severity } from '@ump/core';
import { alertStore, eventOf, isActive, openKeyOf, snapshotOf, type AlertRow, type Tx } from '../data/alerts';
import { suppressionStore } from '../data/suppressions';
import type { AfterCommit, TicketAutomation } from '../tickets/hooks';
import { parseChanges, trackFlapping, type FlapPolicy } from './flapping';
import { specWatchesSilence, type UpdateWindowCheck } from './update-window';

/** Why a valid signal changed nothing. */
export type IgnoredReason = 'stale' | 'unknown-rule' | 'disabled-rule' | 'not-active';

export type SignalOutcome =
  | { applied: false; reason: IgnoredReason }
  | { applied: true; alert: AlertRow; events: AlertEvent[] };

export interface ApplyOptions {
  flap: FlapPolicy;
  tickets?: TicketAutomation;
  /**
   * Whether a device is installing an OTA update (see update-window.ts): a firing of a rule
   * that watches for silence (NO_DATA) is then held like one under a maintenance window.
   * Absent: no alert is held for an update.
   */
  updating?: UpdateWindowCheck;
}

// Under concurrency the advisory lock already serializes a fingerprint; the unique open key
// is the backstop (e.g. a lock hash collision cannot let two opens through), so one retry
// after a violation sees the other transaction's alert.
const ATTEMPTS = 2;

/**
 * Applies one signal to its fingerprint (tenant, rule, device) in a transaction that holds a
 * transaction-scoped advisory lock on the fingerprint, so consumers racing on the same
 * fingerprint take turns and at most one alert is open for it. Resolves with the alert
 * events to publish once the transaction has committed (none while the alert is suppressed
 * — by a maintenance window, or for a silence rule while the device installs an update —
 * only flapping changes while it flaps). Ticket hooks run inside the transaction, so the
 * alert's ticket link commits with the alert change; what they defer (their events) runs
 * after the commit.
 */
export async function applySignal(prisma: PrismaClient, signal: AlertSignal, opts: ApplyOptions): Promise<SignalOutcome> {
  const db = forTenant(prisma, signal.tenantId);
  for (let attempt = 1; ; attempt++) {
    // Work the ticket automation defers (its ticket.events.v1 publications) until the commit.
    const deferred: Array<() => Promise<void>> = [];
    try {
      const outcome = await db.$transaction((tx) => applyLocked(tx, signal, { ...opts, afterCommit: (work) => deferred.push(work) }));
      await runDeferred(deferred);
      return outcome;
    } catch (error) {
      if (attempt >= ATTEMPTS || !isUniqueViolation(error)) throw error;
    }
  }
}

/** Runs work deferred until a commit, in order. */
export async function runDeferred(deferred: Array<() => Promise<void>>) {
  for (const work of deferred) await work();
}

type Run = ApplyOptions & { afterCommit: AfterCommit };

/** Takes the fingerprint's lock for the rest of the transaction. */
export async function lockFingerprint(tx: Tx, openKey: string) {
  // Raw SQL carries no data here: it only takes the lock, which the scope does not cover.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${openKey}))`;
}

async function applyLocked(tx: Tx, signal: AlertSignal, opts: Run): Promise<SignalOutcome> {
  const openKey = openKeyOf(signal.tenantId, signal.ruleId, signal.deviceId);
  await lockFingerprint(tx, openKey);
  const open = await tx.alert.findUnique({ where: { openKey } });
  // The last alert of the fingerprint, closed ones included: a redelivered firing must not
  // re-open a fingerprint whose newer signals closed it, and flapping spans alerts.
  const last =
    open ?? (await tx.alert.findFirst({ where: { ruleId: signal.ruleId, deviceId: signal.deviceId }, orderBy: { id: 'desc' } }));
  if (last && signal.at <= last.lastSignalAt.getTime()) return { applied: false, reason: 'stale' };
  if (signal.type === 'firing') return open ? fireAgain(tx, open, signal, opts) : raise(tx, last, signal, opts);
  if (!open || !isActive(open.status)) return { applied: false, reason: 'not-active' };
  return resolve(tx, open, signal, opts);
}

const evidenceOf = (signal: AlertSignal) => signal.evidence as Prisma.InputJsonObject;

async function raise(tx: Tx, previous: AlertRow | null, signal: AlertSignal, opts: Run): Promise<SignalOutcome> {
  const rule = await tx.alertRule.findUnique({ where: { id: signal.ruleId }, select: { enabled: true, spec: true } });
  if (!rule) return { applied: false, reason: 'unknown-rule' };
  if (!rule.enabled) return { applied: false, reason: 'disabled-rule' };
  const at = new Date(signal.at);
  const suppressedBy = await suppressionOf(tx, signal, async () => rule.spec, opts);
  const suppressed = suppressedBy !== null;
  const flap = trackFlapping(parseChanges(previous?.recentChanges), signal.at, true, previous?.flapping ?? false, opts.flap);
  let alert = await tx.alert.create({
    data: {
      id: uuidv7(),
      tenantId: signal.tenantId,
      ruleId: signal.ruleId,
      deviceId: signal.deviceId,
      severity: signal.severity,
      status: 'ACTIVE_UNACK',
      openKey: openKeyOf(signal.tenantId, signal.ruleId, signal.deviceId),
      firstSeenAt: at,
      lastSeenAt: at,
      lastSignalAt: at,
      flapping: flap.flapping,
      recentChanges: flap.changes,
      suppressed,
      evidence: evidenceOf(signal),
    },
  });
  await alertStore.addHistory(tx, alert, 'raised', { severity: signal.severity, suppressed, ...(suppressedBy ? { suppressedBy } : {}), flapping: flap.flapping, signalId: signal.signalId, signalAt: signal.at }, null);
  alert = await notifyRaised(tx, alert, opts);
  return finish(alert, signal, 'raised', previous?.flapping ?? false);
}

async function fireAgain(tx: Tx, open: AlertRow, signal: AlertSignal, opts: Run): Promise<SignalOutcome> {
  const at = new Date(signal.at);
  const reopen = open.status === 'CLEARED_UNACK';
  const escalate = severityRank(signal.severity) > severityRank(open.severity as Severity);
  const flap = trackFlapping(parseChanges(open.recentChanges), signal.at, reopen, open.flapping, opts.flap);
  // Re-checked on a re-open and while suppressed: once the maintenance (or update) window
  // ends, the next firing surfaces the alert. An announced alert is not hidden by a later
  // suppression.
  const suppressedBy = reopen || open.suppressed ? await suppressionOf(tx, signal, () => ruleSpec(tx, signal.ruleId), opts) : null;
  const suppressed = suppressedBy !== null;
  // An alert whose raise was held (flapping or suppressed) is announced once it no longer is.
  const raised = reopen || ((open.flapping || open.suppressed) && !flap.flapping && !suppressed);
  let alert = await tx.alert.update({
    where: { id: open.id },
    data: {
      occurrences: { increment: 1 },
      lastSeenAt: at,
      lastSignalAt: at,
      evidence: evidenceOf(signal),
      flapping: flap.flapping,
      recentChanges: flap.changes,
      suppressed,
      ...(escalate ? { severity: signal.severity } : {}),
      ...(reopen ? { status: 'ACTIVE_UNACK', clearedAt: null, clearedById: null } : {}),
    },
  });
  const details: Record<string, unknown> = { occurrences: alert.occurrences, signalId: signal.signalId, signalAt: signal.at };
  if (escalate) details.severity = { from: open.severity, to: alert.severity };
  if (reopen) details.status = { from: open.status, to: alert.status };
  await alertStore.addHistory(tx, alert, reopen ? 'reopened' : escalate ? 'escalated' : 'occurred', details, null);
  if (flap.flapping !== open.flapping) {
    await alertStore.addHistory(tx, alert, 'flapping', { flapping: { from: open.flapping, to: flap.flapping } }, null);
  }
  if (suppressed !== open.suppressed) {
    await alertStore.addHistory(tx, alert, 'suppression', { suppressed: { from: open.suppressed, to: suppressed }, ...(suppressedBy ? { suppressedBy } : {}) }, null);
  }
  if (raised) alert = await notifyRaised(tx, alert, opts);
  return finish(alert, signal, raised ? 'raised' : 'updated', open.flapping);
}

async function resolve(tx: Tx, open: AlertRow, signal: AlertSignal, opts: Run): Promise<SignalOutcome> {
  const at = new Date(signal.at);
  const status = open.status === 'ACTIVE_ACK' ? 'CLEARED_ACK' : 'CLEARED_UNACK';
  const flap = trackFlapping(parseChanges(open.recentChanges), signal.at, true, open.flapping, opts.flap);
  const alert = await tx.alert.update({
    where: { id: open.id },
    data: {
      status,
      clearedAt: at,
      lastSignalAt: at,
      flapping: flap.flapping,
      recentChanges: flap.changes,
      // Closed: the next firing of the fingerprint opens a new alert.
      ...(status === 'CLEARED_ACK' ? { openKey: null } : {}),
    },
  });
  await alertStore.addHistory(tx, alert, 'cleared', { status: { from: open.status, to: status }, signalId: signal.signalId, signalAt: signal.at }, null);
  if (flap.flapping !== open.flapping) {
    await alertStore.addHistory(tx, alert, 'flapping', { flapping: { from: open.flapping, to: flap.flapping } }, null);
  }
  if (notifies(alert)) await opts.tickets?.onAlertCleared(tx as TenantDb, snapshotOf(alert), opts.afterCommit);
  return finish(alert, signal, status === 'CLEARED_ACK' ? 'resolved' : 'cleared', open.flapping);
}

/** Why a firing's alert is held: recorded in its history as `suppressedBy`. */
export type SuppressedBy = 'maintenance' | 'update';

/**
 * Why the alert of a firing is held, or null when it notifies: a maintenance window covering
 * the device at the signal's time, or — for a rule that watches for silence (its condition
 * is or contains NO_DATA) — an OTA update the device is installing, during which it may
 * reboot and go quiet. Threshold and other rules are never held for an update. The rule's
 * spec is read, and the update window asked, only when it can matter.
 */
async function suppressionOf(tx: Tx, signal: AlertSignal, spec: () => Promise<unknown>, opts: Run): Promise<SuppressedBy | null> {
  return holdOf(tx, signal.deviceId, signal.at, spec, opts);
}

/** What holds a device's alert at `at` (epoch ms): see suppressionOf. */
export async function holdOf(tx: Tx, deviceId: string, at: number, spec: () => Promise<unknown>, opts: ApplyOptions): Promise<SuppressedBy | null> {
  if (await suppressionStore.covers(tx, deviceId, new Date(at))) return 'maintenance';
  if (opts.updating && specWatchesSilence(await spec()) && (await opts.updating(deviceId))) return 'update';
  return null;
}

export async function ruleSpec(tx: Tx, ruleId: string): Promise<unknown> {
  const rule = await tx.alertRule.findUnique({ where: { id: ruleId }, select: { spec: true } });
  return rule?.spec;
}

/** Neither suppressed nor flapping: raise / clear notifications go out. */
const notifies = (alert: AlertRow) => !alert.suppressed && !alert.flapping;

/** Lets the ticket automation open (or link) a ticket for a raised alert, and records the link. */
export async function notifyRaised(tx: Tx, alert: AlertRow, opts: ApplyOptions & { afterCommit: AfterCommit }): Promise<AlertRow> {
  if (!opts.tickets || !notifies(alert) || !isActive(alert.status)) return alert;
  const ticketId = await opts.tickets.onAlertRaised(tx as TenantDb, snapshotOf(alert), opts.afterCommit);
  if (!ticketId || ticketId === alert.ticketId) return alert;
  return tx.alert.update({ where: { id: alert.id }, data: { ticketId } });
}

/**
 * The events a signal produces: nothing for a suppressed alert; while it flaps only the
 * `updated` that announces a flapping change; otherwise the event of what happened.
 */
function finish(alert: AlertRow, signal: AlertSignal, type: AlertEventType, wasFlapping: boolean): SignalOutcome {
  const events: AlertEvent[] = [];
  if (!alert.suppressed) {
    if (alert.flapping !== wasFlapping) events.push(eventOf(alert, 'updated', signal.at, `${signal.signalId}:flapping`));
    if (!alert.flapping) events.push(eventOf(alert, type, signal.at, `${signal.signalId}:${type}`));
  }
  return { applied: true, alert, events };
}
