import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isNonNullType,
  type GraphQLSchema,
} from 'graphql';
import { alertEventTypes, rolloutEventTypes, ticketEventTypes } from '@ump/core';
import { toApiSchema } from '@ump/schema';
import { readSupergraph } from '../supergraph';
import { eventSources } from './sources';

// The committed supergraph and what the gateway serves must agree: a Subscription field or
// a filter field the gateway does not know would be accepted by validation and then
// silently do nothing (or refuse every subscriber).
describe('the supergraph’s subscriptions', () => {
  let schema: GraphQLSchema;
  beforeAll(() => {
    schema = toApiSchema(readSupergraph());
  });

  it('are all served by the gateway', () => {
    const fields = Object.keys(schema.getSubscriptionType()?.getFields() ?? {});
    expect(fields.sort()).toEqual(eventSources.map((s) => s.rootField).sort());
  });

  it.each(eventSources.map((s) => [s.rootField, s] as const))('%s: filter, event type and entity query line up', (_name, source) => {
    const field = schema.getSubscriptionType()!.getFields()[source.rootField]!;
    if (source.filterOf) {
      // The filter is made of the root field's own arguments: each one the source reads.
      const args = Object.fromEntries(field.args.map((a) => [a.name, `arg:${a.name}`]));
      expect(Object.values(source.filterOf(args) as Record<string, unknown>).sort()).toEqual(Object.values(args).sort());
    } else {
      // Every filter field is one the source applies (an unknown one is refused, so try each).
      const filter = getNamedType(field.args.find((a) => a.name === 'filter')!.type);
      expect(isInputObjectType(filter)).toBe(true);
      if (!isInputObjectType(filter)) return;
      for (const name of Object.keys(filter.getFields())) {
        let refused: unknown;
        try {
          source.compileFilter({ [name]: null });
        } catch (error) {
          refused = error;
        }
        expect({ name, refused }).toEqual({ name, refused: undefined });
      }
    }
    // The event type has `type`, `at` and the entity, and Query fetches the entity by id.
    const eventType = getNamedType(field.type);
    const eventFields = 'getFields' in eventType ? eventType.getFields() : {};
    expect(Object.keys(eventFields)).toEqual(expect.arrayContaining(['type', 'at', source.entityField]));
    const query = schema.getQueryType()!.getFields()[source.entityField]!;
    const id = query.args.find((a) => a.name === 'id');
    expect(id && isNonNullType(id.type) && getNamedType(id.type).name).toBe('ID');
    // Every event type of the topic contract exists in the GraphQL enum.
    const enumType = getNamedType(eventFields.type!.type);
    expect(isEnumType(enumType)).toBe(true);
    const contractTypes = { alertEvents: alertEventTypes, ticketEvents: ticketEventTypes, rolloutEvents: rolloutEventTypes }[source.rootField]!;
    const values = isEnumType(enumType) ? enumType.getValues().map((v) => v.name) : [];
    expect(values).toEqual(expect.arrayContaining(contractTypes.map((t) => t.toUpperCase())));
  });
});
