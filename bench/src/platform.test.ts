import { describeStartedPlatform } from './platform';

describe('describeStartedPlatform', () => {
  it('names the bus and the store the started platform inherits', () => {
    expect(describeStartedPlatform({}, 7)).toBe('platform started by the bench (pid 7): the in-process bus, embedded chDB');
    expect(describeStartedPlatform({ KAFKA_BROKERS: 'k:9092', CLICKHOUSE_URL: 'http://ch:8123' }, 7)).toBe(
      'platform started by the bench (pid 7): Kafka at k:9092, ClickHouse at http://ch:8123',
    );
  });
});
