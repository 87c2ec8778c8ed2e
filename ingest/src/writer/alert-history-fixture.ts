import { randomUUID } from 'node:crypto';
import type { AlertEvent, AlertStats } from '@ump/core';
import { createAlertHistoryWriter } from './alert-history';
import { useHistoryFixture } from './history-fixture';

/**
 * The alert history writer tests' world: the shared one of {@link useHistoryFixture}, and a
 * tenant's alert lifecycle with its known statistics. Registers Jest hooks; call once at the
 * top of a test file.
 */
export function useAlertHistoryFixture() {
  const world = useHistoryFixture({
    name: 'alert',
    topic: 'alert.events.v1',
    deadLetterTopic: 'alert.events.dlq.v1',
    keyField: 'alertId',
    history: (store) => store.alertHistory,
    createWriter: createAlertHistoryWriter,
  });
  const DAY = 86_400_000;
  const base = Math.floor(Date.now() / DAY) * DAY - DAY;
  const window = { from: new Date(base), to: new Date(base + DAY) };

  /**
   * Ten alerts of a tenant on one rule, one a minute: alert i is acknowledged 10·i s after
   * its raise, and the even ones are resolved 100 s after it (the odd ones stay open).
   * 25 events in all; their statistics are {@link expectedStats}.
   */
  function lifecycle(tenantId: string): AlertEvent[] {
    const ruleId = randomUUID();
    return Array.from({ length: 10 }, (_, i) => {
      const raisedAt = base + i * 60_000;
      const alert = { tenantId, ruleId, alertId: randomUUID(), deviceId: randomUUID(), severity: 'MAJOR' as const, flapping: false, raisedAt };
      const events: AlertEvent[] = [
        { ...alert, eventId: `${alert.alertId}:raised`, type: 'raised', status: 'ACTIVE_UNACK', at: raisedAt },
        { ...alert, eventId: `${alert.alertId}:ack`, type: 'acknowledged', status: 'ACTIVE_ACK', at: raisedAt + i * 10_000, actorId: randomUUID() },
      ];
      if (i % 2 === 0) events.push({ ...alert, eventId: `${alert.alertId}:resolved`, type: 'resolved', status: 'CLEARED_ACK', at: raisedAt + 100_000 });
      return events;
    }).flat();
  }

  const expectedStats = (ruleId: string): AlertStats => ({
    raised: 10,
    bySeverity: [{ severity: 'MAJOR', count: 10 }],
    byRule: [{ ruleId, count: 10 }],
    mttaSeconds: 45, // mean of 0, 10, … 90
    mttrSeconds: 100,
    open: 5,
  });

  const statsOf = (tenantId: string) => world.history().stats({ tenantId, ...window });

  return { ...world, lifecycle, expectedStats, statsOf };
}
