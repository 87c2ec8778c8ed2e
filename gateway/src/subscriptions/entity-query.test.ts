import { buildSchema, getOperationAST, parse, print, validate } from 'graphql';
import { buildEntityQuery } from './entity-query';
import { resolveEvent } from './resolve-event';

const schema = buildSchema(`
  enum Severity { CRITICAL MAJOR }
  type Query { alert(id: ID!): Alert }
  interface Subject { id: ID! }
  type Device implements Subject { id: ID! name: String! }
  type Gateway implements Subject { id: ID! ip: String }
  type Alert { id: ID! severity: Severity! subject: Subject device(withLabels: Boolean): Device }
  type AlertEvent { type: String! at: String! alert: Alert! }
  input AlertEventFilter { severityAtLeast: Severity }
  type Subscription { alertEvents(filter: AlertEventFilter): AlertEvent! }
`);

function transform(source: string, variables: Record<string, unknown> = {}) {
  const document = parse(source);
  expect(validate(schema, document)).toEqual([]);
  const built = buildEntityQuery({ schema, document, operation: getOperationAST(document)!, entityField: 'alert', variables });
  // What is sent to the gateway must itself be a valid query.
  if (built.query) expect(validate(schema, parse(built.query))).toEqual([]);
  return built;
}
const normalized = (query: string) => print(parse(query));

describe('buildEntityQuery', () => {
  it('turns the selection under the entity into a query by id, aliases kept', () => {
    const built = transform('subscription S { alertEvents { __typename type at a: alert { sev: severity } } }');
    expect(built.query).toBe(normalized('query S($id: ID!) { a: alert(id: $id) { sev: severity } }'));
    expect(built).toMatchObject({ idVariable: 'id', variables: {}, operationName: 'S' });
  });

  it('inlines fragments on the event type and keeps the entity’s own fragments', () => {
    const built = transform(`
      subscription { alertEvents { ...Ev } }
      fragment Ev on AlertEvent { type alert { ...A } ... on AlertEvent { alert { id } } }
      fragment A on Alert { severity }
    `);
    expect(built.query).toBe(
      normalized(`
        query($id: ID!) { ... { alert(id: $id) { ...A } ... { alert(id: $id) { id } } } }
        fragment A on Alert { severity }
      `),
    );
  });

  it('keeps the variables and directives it uses, drops the rest, and never clashes with $id', () => {
    const built = transform(
      `subscription($id: Severity, $labels: Boolean!, $show: Boolean!) {
        alertEvents(filter: { severityAtLeast: $id }) {
          alert @include(if: $show) { device(withLabels: $labels) { name } }
        }
      }`,
      { id: 'MAJOR', labels: true, show: true },
    );
    expect(built.idVariable).toBe('id_');
    expect(built.query).toBe(
      normalized(
        'query($id_: ID!, $labels: Boolean!, $show: Boolean!) { alert(id: $id_) @include(if: $show) { device(withLabels: $labels) { name } } }',
      ),
    );
    expect(built.variables).toEqual({ labels: true, show: true });
  });

  it('asks for __typename where an interface or union has to be resolved again', () => {
    const built = transform('subscription { alertEvents { alert { subject { id ... on Device { name } } } } }');
    expect(built.query).toBe(normalized('query($id: ID!) { alert(id: $id) { subject { id ... on Device { name } __typename } } }'));
  });

  it('fetches nothing when only event fields are selected', () => {
    expect(transform('subscription { alertEvents { type at } }').query).toBeNull();
  });
});

describe('resolveEvent', () => {
  const run = (source: string, fetched: Parameters<typeof resolveEvent>[0]['event']['fetched'], variables = {}) =>
    resolveEvent({
      schema,
      document: parse(source),
      variables,
      entityField: 'alert',
      entityName: 'Alert',
      event: { type: 'RAISED', at: Date.UTC(2026, 10, 28), entityId: 'a1', fetched },
    });

  it('completes the subscriber’s document over the fetched data, aliases and abstract types included', () => {
    const result = run(
      'subscription { ev: alertEvents { kind: type at __typename a: alert { sev: severity subject { ... on Device { name } } } } }',
      { data: { a: { sev: 'MAJOR', subject: { __typename: 'Device', name: 'boiler' } } } },
    );
    expect(result).toEqual({
      data: { ev: { kind: 'RAISED', at: '2026-11-28T00:00:00.000Z', __typename: 'AlertEvent', a: { sev: 'MAJOR', subject: { name: 'boiler' } } } },
    });
  });

  it('puts the graph’s errors where the subscriber sees them', () => {
    const result = run('subscription { alertEvents { alert { id device { name } } } }', {
      data: { alert: { id: 'a1', device: null } },
      errors: [{ message: 'no', path: ['alert', 'device'], extensions: { code: 'FORBIDDEN' } }],
    });
    expect(result.data).toEqual({ alertEvents: { alert: { id: 'a1', device: null } } });
    expect(result.errors?.map((e) => e.toJSON())).toEqual([
      expect.objectContaining({ message: 'no', path: ['alertEvents', 'alert', 'device'], extensions: { code: 'FORBIDDEN' } }),
    ]);
  });

  it('reports a missing entity as NOT_FOUND', () => {
    const result = run('subscription { alertEvents { alert { id } } }', { data: { alert: null } });
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND' });
  });
});
