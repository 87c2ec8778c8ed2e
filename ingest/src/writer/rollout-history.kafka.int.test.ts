import { randomUUID } from 'node:crypto';
import { describeWith } from '../../../core/src/testing/services';
import { eventually } from '../../../core/src/testing/eventually';
import { useRolloutHistoryFixture } from './rollout-history-fixture';

// The crash test again, on a real Kafka broker: the group resumes from its last committed
// offset with whatever batch boundaries the broker returns, and the statistics must count
// every event once.
const { within, kafkaBus, startWriter, collectDeadLetters, rollout, expectedStats, publish, statsOf, dyingHistory, expectSettled } = useRolloutHistoryFixture();

describeWith('kafka')('rollout history writer on Kafka', () => {
  it('loses and doubles nothing when the writer dies after an insert mid-stream and another takes over', async () => {
    const { bus, failures } = kafkaBus();
    const tenant = randomUUID();
    const group = randomUUID();
    const dying = dyingHistory(2);
    const first = await startWriter(bus, group, dying.history);
    const letters = await collectDeadLetters(bus);
    const { rolloutId, events } = rollout(tenant);
    // One at a time, so the dying writer sees several batches.
    for (const event of events.slice(0, 15)) await publish(bus, [event]);
    await publish(bus, [{ broken: true }]);
    await eventually(() => dying.isDead() && failures.length > 0, within);
    await first.stop();

    await publish(bus, events.slice(15));
    await startWriter(bus, group);
    await expectSettled(() => statsOf(tenant, rolloutId), expectedStats);
    await eventually(() => letters.length > 0, within);
    expect(letters.map((l) => l.value.payload)).toContain('{"broken":true}');
  }, 60_000);
});
