import { createMemoryBus } from '../ports/memory-bus';
import type { IncomingMessage } from '../ports/event-bus';
import { deadLetterOf, publishDeadLetters } from './dead-letter';

const message = (value: unknown, offset = '7'): IncomingMessage => ({ key: 'device-1', value, headers: {}, offset, timestamp: 0 });

describe('dead letters of consumed messages', () => {
  it('carry the value as JSON, the reason and source, and the tenant and device when the value names them', () => {
    const letter = deadLetterOf(message({ tenantId: 't-1', deviceId: 'd-1', values: 'oops' }), 'telemetry.v1', 'values: expected an object');
    expect(letter).toMatchObject({
      reason: 'values: expected an object',
      source: 'telemetry.v1',
      payload: '{"tenantId":"t-1","deviceId":"d-1","values":"oops"}',
      tenantId: 't-1',
      deviceId: 'd-1',
    });
    expect(deadLetterOf(message('not an object'), 's', 'r')).toMatchObject({ payload: '"not an object"', tenantId: undefined, deviceId: undefined });
    expect(deadLetterOf(message({ tenantId: 42 }), 's', 'r').tenantId).toBeUndefined();
  });

  it('go to the dead-letter topic keyed as they were, with the partition and offset they came from', async () => {
    const bus = createMemoryBus({ partitions: 1 });
    const received: IncomingMessage[] = [];
    await bus.subscribe({ topic: 'x.dlq.v1', groupId: 'g', fromBeginning: true, handleBatch: async (b) => void received.push(...b.messages) });
    const consumed = message({ bad: true }, '41');
    await publishDeadLetters(bus, 'x.dlq.v1', { topic: 'x.v1', partition: 2, messages: [consumed] }, [{ message: consumed, letter: deadLetterOf(consumed, 'x.v1', 'bad') }]);
    await publishDeadLetters(bus, 'x.dlq.v1', { topic: 'x.v1', partition: 2, messages: [] }, []);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ key: 'device-1', headers: { 'x-ump-source-partition': '2', 'x-ump-source-offset': '41' }, value: { reason: 'bad', source: 'x.v1' } });
    await bus.close();
  });
});
