import { randomUUID } from 'node:crypto';
import type { RolloutEvent, RolloutStageStats } from '@ump/core';
import { useHistoryFixture } from './history-fixture';
import { createRolloutHistoryWriter } from './rollout-history';

/**
 * The rollout history writer tests' world: the shared one of {@link useHistoryFixture}, and
 * a tenant's rollout with its known stage statistics. Registers Jest hooks; call once at the
 * top of a test file.
 */
export function useRolloutHistoryFixture() {
  const world = useHistoryFixture({
    name: 'rollout',
    topic: 'rollout.events.v1',
    deadLetterTopic: 'rollout.events.dlq.v1',
    keyField: 'rolloutId',
    history: (store) => store.rolloutHistory,
    createWriter: createRolloutHistoryWriter,
  });
  const base = Date.now() - 86_400_000;

  /**
   * A tenant's rollout of ten devices in two stages (devices 0-3, then 4-9), one second
   * apart: each is ASSIGNED, QUEUED, then device i ends FAILED (i % 4 = 0), UPDATED (1),
   * CANCELLED (2) or DOWNLOADING (3: still in progress). 34 events in all; their statistics
   * are {@link expectedStats}.
   */
  function rollout(tenantId: string): { rolloutId: string; events: RolloutEvent[] } {
    const rolloutId = randomUUID();
    let [at, n] = [base, 0];
    const event = (fields: Pick<RolloutEvent, 'type' | 'stageIndex'> & Partial<RolloutEvent>): RolloutEvent => ({
      eventId: `${rolloutId}:${++n}`, tenantId, rolloutId, state: 'RUNNING', firmwareId: rolloutId, firmwareVersion: '2.0.0', at: (at += 1_000), ...fields,
    });
    const finals = ['FAILED', 'UPDATED', 'CANCELLED', 'DOWNLOADING'];
    const stage = (stageIndex: number, devices: number[]) => [
      event({ type: 'stage_started', stageIndex }),
      ...devices.flatMap((i) => {
        const deviceId = randomUUID();
        return ['ASSIGNED', 'QUEUED', finals[i % 4]!].map((deviceStatus) => event({ type: 'device_progress', stageIndex, deviceId, deviceStatus }));
      }),
    ];
    const events = [
      event({ type: 'state_changed', stageIndex: 0 }),
      ...stage(0, [0, 1, 2, 3]),
      event({ type: 'gate_evaluated', stageIndex: 0, gate: 'INSTALL_SUCCESS', passed: true }),
      ...stage(1, [4, 5, 6, 7, 8, 9]),
    ];
    return { rolloutId, events };
  }

  const expectedStats: RolloutStageStats[] = [
    { stageIndex: 0, assigned: 4, updated: 1, failed: 1, inProgress: 1, cancelled: 1, rolledBack: 0 },
    { stageIndex: 1, assigned: 6, updated: 2, failed: 2, inProgress: 1, cancelled: 1, rolledBack: 0 },
  ];

  const statsOf = (tenantId: string, rolloutId: string) => world.history().stageStats({ tenantId, rolloutId });

  return { ...world, rollout, expectedStats, statsOf };
}
