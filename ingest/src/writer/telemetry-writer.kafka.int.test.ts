import { randomUUID } from 'node:crypto';
import { describeWith } from '../../../core/src/testing/services';
import { eventually } from '../../../core/src/testing/eventually';
import { useWriterFixture } from './writer-fixture';

// The crash test again, on a real Kafka broker: the group resumes from its last committed
// offset with whatever batch boundaries the broker returns, and the journal must still make
// every point land exactly once (the design is in plan.ts).
const { within, message, publish, startWriter, kafkaBus, expectExactlyOnce, dyingStore } = useWriterFixture();

describeWith('kafka')('telemetry writer on Kafka', () => {
  it.each(['after', 'before'] as const)('counts every point once when the writer dies %s an insert mid-stream and another takes over', async (when) => {
    const { bus, failures } = kafkaBus();
    const tenant = randomUUID();
    const group = randomUUID();
    const dying = dyingStore(2, when);
    const first = await startWriter(bus, group, dying.store);
    await publish(bus, Array.from({ length: 120 }, (_, i) => message(tenant, i)));
    await eventually(() => dying.isDead() && failures.length > 0, within);
    await first.stop();

    // More telemetry arrives while no writer runs; the next one takes the group over.
    await publish(bus, Array.from({ length: 40 }, (_, i) => message(tenant, 120 + i)));
    await startWriter(bus, group);
    await expectExactlyOnce(tenant, 160);
  }, 60_000);
});
