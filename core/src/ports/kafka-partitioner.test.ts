import { randomBytes, randomUUID } from 'node:crypto';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { murmur2, murmur2Partitioner } from './kafka-partitioner';

// kafkajs' own implementation, the reference the Java client's placement is known to match.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (key: string | Buffer) => number;

const metadata = (count: number, leaderless: number[] = []): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0, partitionId, leader: leaderless.includes(partitionId) ? -1 : 0, replicas: [0], isr: [0],
  }));

describe('murmur2', () => {
  it('hashes like kafkajs (and so the Java client) for keys of every length and byte', () => {
    const keys: Array<string | Buffer> = ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'température', '设备-7', randomUUID()];
    for (let n = 0; n < 500; n++) keys.push(randomUUID(), randomBytes(n % 40));
    for (const key of keys) expect(murmur2(key)).toBe(kafkajsMurmur2(key));
  });

  it('gives the values the Java client documents for its test vectors', () => {
    // Kafka's UtilsTest.testMurmur2.
    expect(murmur2(Buffer.from('21', 'ascii'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar', 'ascii'))).toBe(-790332482);
  });
});

describe('murmur2Partitioner', () => {
  const reference = Partitioners.DefaultPartitioner();
  const ours = murmur2Partitioner();
  const topic = 'telemetry.v1';

  it('places keyed messages where kafkajs DefaultPartitioner does', () => {
    for (const partitions of [1, 3, 7, 12]) {
      const partitionMetadata = metadata(partitions);
      for (let n = 0; n < 200; n++) {
        const message = { key: randomUUID(), value: '{}' };
        expect(ours({ topic, partitionMetadata, message })).toBe(reference({ topic, partitionMetadata, message }));
      }
    }
  });

  it('keeps an explicit partition, and spreads keyless messages over partitions with a leader', () => {
    const partitionMetadata = metadata(4, [1]);
    expect(ours({ topic, partitionMetadata, message: { key: 'k', value: '{}', partition: 3 } })).toBe(3);
    const chosen = new Set(Array.from({ length: 30 }, () => ours({ topic, partitionMetadata, message: { value: '{}' } })));
    expect([...chosen].sort()).toEqual([0, 2, 3]);
  });
});
