import { ticketStatuses, type Role, type TicketStatus } from '@ump/core';
import { assertTransition, slaBreached, statusChange, statusEventType } from './lifecycle';

const codeOf = (from: TicketStatus, to: TicketStatus, role: Role) => {
  try {
    assertTransition(from, to, role);
    return 'ok';
  } catch (error) {
    const { code, field } = (error as { extensions: { code: string; field?: string } }).extensions;
    return field ? `${code}:${field}` : code;
  }
};

describe('assertTransition', () => {
  // Rows: from; columns: to, in ticketStatuses order (OPEN, IN_PROGRESS, RESOLVED, CLOSED).
  const BAD = 'BAD_USER_INPUT:input.status';
  const operator: Record<TicketStatus, string[]> = {
    OPEN: ['ok', 'ok', 'ok', 'FORBIDDEN'],
    IN_PROGRESS: ['ok', 'ok', 'ok', 'FORBIDDEN'],
    RESOLVED: ['ok', BAD, 'ok', 'ok'],
    CLOSED: [BAD, BAD, BAD, 'ok'],
  };

  test.each(ticketStatuses)('from %s as OPERATOR', (from) => {
    expect(ticketStatuses.map((to) => codeOf(from, to, 'OPERATOR'))).toEqual(operator[from]);
  });

  test('a TENANT_ADMIN may close from any open status, but CLOSED stays final', () => {
    for (const from of ['OPEN', 'IN_PROGRESS', 'RESOLVED'] as const) expect(codeOf(from, 'CLOSED', 'TENANT_ADMIN')).toBe('ok');
    expect(codeOf('CLOSED', 'OPEN', 'TENANT_ADMIN')).toBe(BAD);
    expect(codeOf('RESOLVED', 'IN_PROGRESS', 'TENANT_ADMIN')).toBe(BAD);
  });
});

describe('status changes', () => {
  const now = new Date('2026-11-28T10:00:00Z');
  test('resolving stamps resolvedAt, closing closedAt, going back to work forgets the resolution', () => {
    expect(statusChange('IN_PROGRESS', 'RESOLVED', now)).toEqual({ status: 'RESOLVED', resolvedAt: now });
    expect(statusChange('RESOLVED', 'CLOSED', now)).toEqual({ status: 'CLOSED', closedAt: now });
    expect(statusChange('RESOLVED', 'OPEN', now)).toEqual({ status: 'OPEN', resolvedAt: null });
    expect(statusChange('OPEN', 'OPEN', now)).toEqual({});
  });

  test('events', () => {
    expect(statusEventType('RESOLVED', 'OPEN')).toBe('reopened');
    expect(statusEventType('IN_PROGRESS', 'OPEN')).toBe('updated');
    expect(statusEventType('OPEN', 'IN_PROGRESS')).toBe('updated');
    expect(statusEventType('OPEN', 'RESOLVED')).toBe('resolved');
    expect(statusEventType('OPEN', 'CLOSED')).toBe('closed');
  });
});

describe('slaBreached', () => {
  const due = new Date('2026-11-28T10:00:00Z');
  const at = (minutes: number) => new Date(due.getTime() + minutes * 60_000);
  const ticket = (status: string, extra: { resolvedAt?: Date; closedAt?: Date; slaDueAt?: Date | null } = {}) => ({
    status,
    slaDueAt: due,
    resolvedAt: null,
    closedAt: null,
    ...extra,
  });

  test('open tickets breach once the due time has passed', () => {
    expect(slaBreached(ticket('OPEN'), at(-1))).toBe(false);
    expect(slaBreached(ticket('OPEN'), due)).toBe(false);
    expect(slaBreached(ticket('IN_PROGRESS'), at(1))).toBe(true);
  });

  test('finished tickets breached if they were finished late, whatever the time now', () => {
    expect(slaBreached(ticket('RESOLVED', { resolvedAt: at(-5) }), at(60))).toBe(false);
    expect(slaBreached(ticket('RESOLVED', { resolvedAt: at(5) }), at(60))).toBe(true);
    expect(slaBreached(ticket('CLOSED', { resolvedAt: at(-5), closedAt: at(30) }), at(60))).toBe(false);
    expect(slaBreached(ticket('CLOSED', { closedAt: at(30) }), at(60))).toBe(true);
  });

  test('no SLA, no breach', () => {
    expect(slaBreached(ticket('OPEN', { slaDueAt: null }), at(1_000))).toBe(false);
  });
});
