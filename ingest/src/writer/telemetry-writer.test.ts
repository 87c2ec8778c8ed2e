import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { eventually } from '../../../core/src/testing/eventually';
import { useWriterFixture } from './writer-fixture';

// The writer against the in-process bus and an embedded chDB store: what it stores and what
// it dead-letters. Crashes and redeliveries: telemetry-writer.crash.test.ts.
const { within, message, publish, startWriter, memoryBus, collectDeadLetters, expectExactlyOnce, store } = useWriterFixture();

describe('telemetry writer', () => {
  it('stores every valid message and dead-letters the malformed with their reasons', async () => {
    const { bus } = memoryBus(7);
    const tenant = randomUUID();
    const registry = new Registry();
    await startWriter(bus, randomUUID(), store(), registry);
    const letters = await collectDeadLetters(bus);
    const valid = Array.from({ length: 40 }, (_, i) => message(tenant, i));
    const malformed: unknown[] = [
      'not an object',
      { ...message(tenant, 100), messageId: undefined },
      { ...message(tenant, 101), values: { temp: { nested: 1 } } },
      { ...message(tenant, 102), deviceId: 'boiler-1' },
      { ...message(tenant, 103), ts: Date.UTC(2200, 0, 1) },
      { ...message(tenant, 104), retentionDays: 100_000 },
    ];
    await publish(bus, [...valid.slice(0, 20), ...malformed, ...valid.slice(20)]);

    await eventually(() => letters.length >= 6, within);
    await expectExactlyOnce(tenant, 40);
    expect(letters.map((l) => l.value.reason).sort()).toEqual([
      '(root): Invalid input: expected object, received string',
      'deviceId: Invalid UUID',
      'messageId: Invalid input: expected string, received undefined',
      expect.stringMatching(/^retentionDays: must be an integer in 1\.\.3650/),
      expect.stringMatching(/^ts: outside/),
      expect.stringMatching(/^values\.temp: /),
    ]);
    for (const { value, headers } of letters) {
      expect(value.source).toBe('telemetry.v1');
      expect(headers).toEqual({ 'x-ump-source-partition': expect.any(String), 'x-ump-source-offset': expect.stringMatching(/^\d+$/) });
    }
    expect(letters.find((l) => l.value.reason.startsWith('(root)'))!.value.payload).toBe('"not an object"');
    const metric = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value;
    expect(await metric('ump_telemetry_writer_written_total')).toBe(40);
    expect(await metric('ump_telemetry_writer_dead_lettered_total')).toBe(6);
  }, 30_000);
});
