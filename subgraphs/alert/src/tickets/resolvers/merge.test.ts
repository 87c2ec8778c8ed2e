import { DateTime } from '@ump/core';
import { mergeResolverMaps } from './merge';

describe('mergeResolverMaps', () => {
  test('merges the fields of each type and keeps scalars whole', () => {
    const a = () => 'a';
    const b = () => 'b';
    const merged = mergeResolverMaps({ Query: { a }, Alert: { a } }, { Query: { b }, Ticket: { b }, DateTime });
    expect(merged).toEqual({ Query: { a, b }, Alert: { a }, Ticket: { b }, DateTime });
    expect(merged.DateTime).toBe(DateTime);
  });

  test('a field defined twice fails at start-up', () => {
    expect(() => mergeResolverMaps({ Alert: { ticket: () => null } }, { Alert: { ticket: () => null } })).toThrow('Alert.ticket');
  });
});
