import { z } from 'zod';
import { deadLetterName, defineTopic } from './topic';

describe('defineTopic', () => {
  const telemetry = defineTopic({
    name: 'telemetry',
    version: 1,
    schema: z.object({ deviceId: z.string(), readings: z.array(z.object({ metric: z.string(), value: z.number() })) }),
  });

  it('names the topic with its version', () => {
    expect(telemetry.name).toBe('telemetry.v1');
    expect(telemetry.base).toBe('telemetry');
    expect(telemetry.version).toBe(1);
  });

  it('parses valid values and explains invalid ones without throwing', () => {
    expect(telemetry.parse({ deviceId: 'd1', readings: [] })).toEqual({ ok: true, value: { deviceId: 'd1', readings: [] } });
    const bad = telemetry.parse({ readings: [{ metric: 'temp', value: 'hot' }] });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.reason).toContain('deviceId:');
      expect(bad.reason).toContain('readings.0.value:');
    }
    const root = telemetry.parse('not an object');
    expect(!root.ok && root.reason.startsWith('(root):')).toBe(true);
  });

  it('rejects bad names and versions', () => {
    const schema = z.string();
    expect(() => defineTopic({ name: 'Telemetry', version: 1, schema })).toThrow(TypeError);
    expect(() => defineTopic({ name: 'telemetry.v1', version: 1, schema })).toThrow(TypeError);
    expect(() => defineTopic({ name: '', version: 1, schema })).toThrow(TypeError);
    expect(() => defineTopic({ name: 'telemetry', version: 0, schema })).toThrow(RangeError);
    expect(() => defineTopic({ name: 'telemetry', version: 1.5, schema })).toThrow(RangeError);
  });
});

describe('deadLetterName', () => {
  it('maps any version of a topic to its one dead-letter topic', () => {
    expect(deadLetterName('telemetry.v1')).toBe('telemetry.dlq.v1');
    expect(deadLetterName('telemetry.v2')).toBe('telemetry.dlq.v1');
    expect(deadLetterName('device.events.v1')).toBe('device.events.dlq.v1');
    expect(deadLetterName('telemetry')).toBe('telemetry.dlq.v1');
  });

  it('accepts a topic contract', () => {
    expect(deadLetterName(defineTopic({ name: 'commands', version: 3, schema: z.unknown() }))).toBe('commands.dlq.v1');
  });

  it('rejects names that are not topic names', () => {
    expect(() => deadLetterName('')).toThrow(TypeError);
    expect(() => deadLetterName('Bad Name.v1')).toThrow(TypeError);
  });
});
