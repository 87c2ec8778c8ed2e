import { createCache, createLogger, createMemoryBus, otaCommandsTopic, type EventBus } from '@ump/core';
import { eventually } from '@ump/core/src/testing/eventually';
import { createEmbeddedTestDatabase, type EmbeddedTestDatabase } from '@ump/db/src/testing';
import { Registry } from 'prom-client';
import { createRolloutEngine } from './index';
import { harness, rolloutDevices } from './testkit';

// A shared 2-core machine: polls wait up to 5 s, so a test gets more.
jest.setTimeout(30_000);

let database: EmbeddedTestDatabase;
const prisma = () => database.db.prisma;

beforeAll(async () => {
  database = await createEmbeddedTestDatabase();
}, 60_000);
afterAll(() => database.drop());

describe('restart safety', () => {
  it('a second engine carries on after the first stopped mid-rollout: no device assigned twice, no gate skipped, lost commands re-sent', async () => {
    const bus = createMemoryBus();
    // The first engine's commands of its last decision are lost (it "crashed" between the commit and the publish).
    let losing = false;
    const lossy: EventBus = {
      publish: (topic, messages) => (losing && topic === otaCommandsTopic.name ? Promise.reject(new Error('crashed')) : bus.publish(topic, messages)),
      subscribe: (options) => bus.subscribe(options),
      buffered: (topic) => bus.buffered(topic),
      close: () => bus.close(),
    };
    const h = await harness(prisma(), { devices: 6, spec: { stages: [{ percent: 50 }, { percent: 100 }] }, bus: lossy });
    await h.act('start');
    const stage0 = (await rolloutDevices(prisma(), h.rolloutId)).map((d) => d.deviceId);
    expect(stage0).toHaveLength(3);
    await h.report(stage0[0]!, 'UPDATED');
    await h.report(stage0[1]!, 'UPDATED');
    await h.deviceIs(stage0[1]!, 'UPDATED');
    losing = true;
    await h.report(stage0[2]!, 'UPDATED');
    // The first engine applies it, passes stage 0 and assigns stage 1, but its commands are lost.
    await eventually(async () => (await rolloutDevices(prisma(), h.rolloutId)).length === 6);
    await h.engine.stop();
    const lostCommands = h.seen.commands.length;
    expect(lostCommands).toBe(3);

    const second = createRolloutEngine({
      prisma: prisma(), bus, cache: createCache(), kpi: h.kpi.source, logger: createLogger({ name: 't', level: 'silent', format: 'json' }),
      metrics: new Registry(), tickMs: 3_600_000, now: () => h.clock.now,
    });
    await second.start();
    try {
      const stage1 = (await rolloutDevices(prisma(), h.rolloutId)).filter((d) => d.stageIndex === 1).map((d) => d.deviceId);
      await eventually(() => h.seen.commands.length === 6, { what: 'stage 1 commands re-sent' });
      expect(h.seen.commands.slice(3).map((c) => c.deviceId).sort()).toEqual([...stage1].sort());
      // Both engines evaluating again, even together, assign nobody twice.
      await Promise.all([second.evaluate(h.rolloutId), second.evaluate(h.rolloutId), h.engine.evaluate(h.rolloutId)]);
      for (const id of stage1) await h.report(id, 'UPDATED');
      await h.stateIs('SUCCEEDED');
      const devices = await rolloutDevices(prisma(), h.rolloutId);
      expect(devices).toHaveLength(6);
      expect(devices.every((d) => d.attempts === 1 && d.commandId.endsWith(':1'))).toBe(true);
      const gates = await prisma().rolloutGateResult.findMany({ where: { rolloutId: h.rolloutId }, orderBy: { stageIndex: 'asc' } });
      expect(gates.map((g) => [g.stageIndex, g.gate, g.passed])).toEqual([[0, 'INSTALL_SUCCESS', true], [1, 'INSTALL_SUCCESS', true]]);
      // Each device got its one install command (re-sent with the same id, never a second id).
      const ids = new Set(h.seen.commands.map((c) => c.commandId));
      expect(ids.size).toBe(6);
    } finally {
      await second.stop();
      await bus.close();
    }
  });
});
