import { forTenant, type PrismaClient } from '@ump/db';
import type { AlertEvent } from '@ump/core';
import { alertStore, eventOf, isActive } from '../data/alerts';
import { holdOf, lockFingerprint, notifyRaised, ruleSpec, runDeferred, type ApplyOptions } from './apply';

/**
 * Announces held alerts whose hold has ended. A suppressed alert is re-checked when its rule
 * fires again, but a condition that simply keeps holding sends no new firing: a device that
 * went silent during its update and never came back would stay hidden for good, and so would
 * an alert whose maintenance window closed while its condition still held. So every active
 * suppressed alert (oldest first, at most `limit` per call) is re-checked at `now` under its
 * fingerprint's lock; when neither a maintenance window nor an update window holds it any
 * more, it is unsuppressed, recorded, ticketed and announced `raised` (once: the event id is
 * the alert's, and a second instance finds it no longer suppressed). Its signal timeline is
 * left alone, so no later signal of the rule worker is mistaken for a stale one.
 */
export async function surfaceEndedHolds(prisma: PrismaClient, opts: ApplyOptions, now = Date.now(), limit = 500): Promise<AlertEvent[]> {
  // Across tenants, like the rule worker's reads; each alert is then handled in its tenant's scope.
  const held = await prisma.alert.findMany({
    where: { suppressed: true, status: { in: ['ACTIVE_UNACK', 'ACTIVE_ACK'] } },
    select: { id: true, tenantId: true, openKey: true },
    orderBy: { updatedAt: 'asc' },
    take: limit,
  });
  const events: AlertEvent[] = [];
  for (const { id, tenantId, openKey } of held) {
    if (!openKey) continue;
    const deferred: Array<() => Promise<void>> = [];
    const event = await forTenant(prisma, tenantId).$transaction(async (tx) => {
      await lockFingerprint(tx, openKey);
      const alert = await tx.alert.findUnique({ where: { id } });
      if (!alert || !alert.suppressed || !isActive(alert.status)) return null;
      if (await holdOf(tx, alert.deviceId, now, () => ruleSpec(tx, alert.ruleId), opts)) return null;
      let surfaced = await tx.alert.update({ where: { id }, data: { suppressed: false } });
      await alertStore.addHistory(tx, surfaced, 'suppression', { suppressed: { from: true, to: false }, holdEndedAt: now }, null);
      surfaced = await notifyRaised(tx, surfaced, { ...opts, afterCommit: (work) => deferred.push(work) });
      // A flapping alert stays quiet; it is announced when it stops flapping.
      return surfaced.flapping ? null : eventOf(surfaced, 'raised', now, `${id}:hold-ended`);
    });
    await runDeferred(deferred);
    if (event) events.push(event);
  }
  return events;
}
