import { isRetriable } from './kafka-support';

describe('isRetriable', () => {
  it('trusts kafkajs flags, knows the metadata errors of a topic being created, and looks inside retry wrappers', () => {
    expect(isRetriable({ retriable: true })).toBe(true);
    expect(isRetriable({ retriable: false, type: 'UNKNOWN_TOPIC_OR_PARTITION' })).toBe(true);
    expect(isRetriable({ retriable: false, originalError: { type: 'LEADER_NOT_AVAILABLE' } })).toBe(true);
    expect(isRetriable({ retriable: false, type: 'TOPIC_AUTHORIZATION_FAILED' })).toBe(false);
    expect(isRetriable(new Error('plain'))).toBe(false);
    expect(isRetriable(undefined)).toBe(false);
  });
});
