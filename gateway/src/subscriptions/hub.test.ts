import { randomUUID } from 'node:crypto';
import type { FormattedExecutionResult } from 'graphql';
import { alertEventsTopic, createLogger, createMemoryBus, createMetrics, type AlertEvent, type Caller, type EventBus } from '@ump/core';
import { eventually, sleep } from '@ump/core/src/testing/eventually';
import { createHub, type GraphExecutor, type Subscriber } from './hub';
import { subscriptionMetrics } from './metrics';
import { alertEventSource } from './sources';

const logger = createLogger({ name: 'test', level: 'silent', format: 'json' });

function event(tenantId: string, over: Partial<AlertEvent> = {}): AlertEvent {
  return {
    eventId: randomUUID(),
    type: 'raised',
    tenantId,
    alertId: randomUUID(),
    ruleId: randomUUID(),
    deviceId: randomUUID(),
    severity: 'MAJOR',
    status: 'ACTIVE_UNACK',
    flapping: false,
    raisedAt: 0,
    at: 0,
    ...over,
  };
}

/** A hub on `bus` whose graph answers with the id it was asked for, counting requests. */
function hubOn(bus: EventBus, instanceId: string) {
  const requests: Array<{ query: string; identity: Caller }> = [];
  const execute: GraphExecutor = async (request, identity) => {
    requests.push({ query: request.query, identity });
    return { data: { alert: { id: request.variables.id } } };
  };
  const hub = createHub({ bus, sources: [alertEventSource], execute, instanceId, logger, metrics: subscriptionMetrics(createMetrics('t').registry) });
  return { hub, requests };
}

function subscriber(tenantId: string, query = '{ alert { id } }', over: Partial<Subscriber> = {}) {
  const got: Array<{ event: unknown; fetched: FormattedExecutionResult | null }> = [];
  const shared: Array<Map<string, unknown>> = [];
  const s: Subscriber = {
    source: alertEventSource,
    tenantId,
    identity: { kind: 'user', userId: randomUUID(), tenantId, role: 'VIEWER' },
    matches: () => true,
    fetch: { key: `${tenantId}|VIEWER|${query}`, query, idVariable: 'id', variables: {} },
    deliver: (event, fetched, memo) => {
      got.push({ event, fetched });
      shared.push(memo);
    },
    ...over,
  };
  return Object.assign(s, { got, shared });
}

describe('the subscription hub', () => {
  let bus: EventBus;
  beforeEach(() => {
    bus = createMemoryBus({});
  });
  afterEach(() => bus.close());

  it('gives every gateway instance every event (a consumer group per instance)', async () => {
    const tenant = randomUUID();
    const one = hubOn(bus, 'one');
    const two = hubOn(bus, 'two');
    await one.hub.start();
    await two.hub.start();
    const a = subscriber(tenant);
    const b = subscriber(tenant);
    one.hub.add(a);
    two.hub.add(b);
    await bus.publish(alertEventsTopic.name, [1, 2, 3].map(() => ({ key: 'k', value: event(tenant) })));
    await eventually(() => a.got.length === 3 && b.got.length === 3, { what: 'three events on each instance' });
    await one.hub.stop();
    await two.hub.stop();
  });

  it('checks the tenant and the filter before fetching, and fetches once per distinct selection', async () => {
    const tenant = randomUUID();
    const { hub, requests } = hubOn(bus, 'x');
    const same1 = subscriber(tenant);
    const same2 = subscriber(tenant);
    const other = subscriber(tenant, '{ alert { severity } }');
    const filtered = subscriber(tenant, '{ alert { status } }', { matches: () => false });
    const foreign = subscriber(randomUUID(), '{ alert { ticket } }');
    const eventOnly = subscriber(tenant, '', { fetch: null });
    [same1, same2, other, filtered, foreign, eventOnly].forEach((s) => hub.add(s));

    const e = event(tenant);
    await hub.dispatch(alertEventSource, [e]);
    expect(requests.map((r) => r.query).sort()).toEqual(['{ alert { id } }', '{ alert { severity } }']);
    expect(same1.got).toEqual([{ event: e, fetched: { data: { alert: { id: e.alertId } } } }]);
    expect(same2.got).toEqual(same1.got);
    // One completion space per event and fetch group: equal documents complete once.
    expect(same2.shared[0]).toBe(same1.shared[0]);
    expect(other.shared[0]).not.toBe(same1.shared[0]);
    expect(eventOnly.got).toEqual([{ event: e, fetched: null }]);
    expect(filtered.got).toEqual([]);
    expect(foreign.got).toEqual([]);
  });

  it('keeps each subscriber’s order while fetches of a burst run at once', async () => {
    const tenant = randomUUID();
    let running = 0;
    let most = 0;
    const execute: GraphExecutor = async (request) => {
      most = Math.max(most, ++running);
      await sleep(Math.random() * 5);
      running--;
      return { data: { alert: { id: request.variables.id } } };
    };
    const hub = createHub({ bus, sources: [alertEventSource], execute, instanceId: 'x', logger, metrics: subscriptionMetrics(createMetrics('t').registry) });
    const s = subscriber(tenant);
    hub.add(s);
    const events = Array.from({ length: 40 }, () => event(tenant));
    await hub.dispatch(alertEventSource, events);
    expect(s.got.map((g) => (g.fetched?.data?.alert as { id: string }).id)).toEqual(events.map((e) => e.alertId));
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(16);
  });

  it('stops delivering to a subscriber once removed', async () => {
    const tenant = randomUUID();
    const { hub } = hubOn(bus, 'x');
    const s = subscriber(tenant);
    const remove = hub.add(s);
    remove();
    remove();
    await hub.dispatch(alertEventSource, [event(tenant)]);
    await sleep(10);
    expect(s.got).toEqual([]);
  });
});
