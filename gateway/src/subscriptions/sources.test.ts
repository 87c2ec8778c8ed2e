import { randomUUID } from 'node:crypto';
import type { AlertEvent, RolloutEvent, TicketEvent } from '@ump/core';
import { badInputOf } from '@ump/core/src/testing/bad-input';
import { alertEventSource, rolloutEventSource, ticketEventSource } from './sources';

const device = randomUUID();
const rule = randomUUID();
const alert = (over: Partial<AlertEvent> = {}): AlertEvent => ({
  eventId: 'e',
  type: 'raised',
  tenantId: randomUUID(),
  alertId: randomUUID(),
  ruleId: rule,
  deviceId: device,
  severity: 'MAJOR',
  status: 'ACTIVE_UNACK',
  flapping: false,
  raisedAt: 0,
  at: 0,
  ...over,
});

describe('alert event filter', () => {
  it('lets everything through without a filter', () => {
    expect(alertEventSource.compileFilter(undefined)(alert())).toBe(true);
    expect(alertEventSource.compileFilter(null)(alert({ severity: 'INFO' }))).toBe(true);
  });

  it('compares severities by rank', () => {
    const atLeastMajor = alertEventSource.compileFilter({ severityAtLeast: 'MAJOR' });
    expect(atLeastMajor(alert({ severity: 'CRITICAL' }))).toBe(true);
    expect(atLeastMajor(alert({ severity: 'MAJOR' }))).toBe(true);
    expect(atLeastMajor(alert({ severity: 'MINOR' }))).toBe(false);
  });

  it('matches device, rule and event types together', () => {
    const matches = alertEventSource.compileFilter({ deviceId: device, ruleId: rule, types: ['RAISED', 'CLEARED'] });
    expect(matches(alert())).toBe(true);
    expect(matches(alert({ type: 'cleared' }))).toBe(true);
    expect(matches(alert({ type: 'acknowledged' }))).toBe(false);
    expect(matches(alert({ deviceId: randomUUID() }))).toBe(false);
    expect(matches(alert({ ruleId: randomUUID() }))).toBe(false);
  });

  it('refuses values that can never match, naming the field', () => {
    expect(badInputOf(() => alertEventSource.compileFilter({ deviceId: 'boiler-1' })).extensions.field).toBe('filter.deviceId');
    expect(badInputOf(() => alertEventSource.compileFilter({ types: [] })).extensions.field).toBe('filter.types');
    expect(badInputOf(() => alertEventSource.compileFilter({ flapping: true })).extensions.field).toBe('filter.flapping');
  });
});

describe('ticket event filter', () => {
  const ticket = (over: Partial<TicketEvent> = {}): TicketEvent => ({
    eventId: 'e',
    type: 'opened',
    tenantId: randomUUID(),
    ticketId: randomUUID(),
    status: 'OPEN',
    priority: 'P2',
    alertIds: [],
    at: 0,
    ...over,
  });

  it('matches priority, assignee and types', () => {
    const assignee = randomUUID();
    const matches = ticketEventSource.compileFilter({ priority: 'P2', assigneeId: assignee, types: ['ASSIGNED'] });
    expect(matches(ticket({ type: 'assigned', assigneeId: assignee }))).toBe(true);
    expect(matches(ticket({ type: 'assigned', assigneeId: assignee, priority: 'P1' }))).toBe(false);
    expect(matches(ticket({ type: 'opened', assigneeId: assignee }))).toBe(false);
    expect(matches(ticket({ type: 'assigned' }))).toBe(false);
  });
});

describe('rollout event filter', () => {
  const rollout = randomUUID();
  const event = (over: Partial<RolloutEvent> = {}): RolloutEvent => ({
    eventId: 'e',
    type: 'device_progress',
    tenantId: randomUUID(),
    rolloutId: rollout,
    state: 'RUNNING',
    stageIndex: 1,
    deviceId: device,
    deviceStatus: 'UPDATED',
    at: 0,
    ...over,
  });

  it('takes the rollout id argument as its filter and passes the event fields through', () => {
    const matches = rolloutEventSource.compileFilter(rolloutEventSource.filterOf!({ rolloutId: rollout }));
    expect(matches(event())).toBe(true);
    expect(matches(event({ rolloutId: randomUUID() }))).toBe(false);
    expect(rolloutEventSource.fieldsOf!(event())).toEqual({ stageIndex: 1, deviceId: device, deviceStatus: 'UPDATED', gate: null, passed: null });
    expect(badInputOf(() => rolloutEventSource.compileFilter({ rolloutId: 'r-1' })).extensions.field).toBe('rolloutId');
  });
});
