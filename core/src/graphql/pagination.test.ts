import { randomUUID } from 'node:crypto';
import { decodeCursor, encodeCursor, MAX_PAGE_SIZE, pageSize, toConnection } from './pagination';
import { badInputOf } from '../testing/bad-input';

describe('pageSize', () => {
  it('is 100 at most', () => {
    expect(MAX_PAGE_SIZE).toBe(100);
  });

  it.each([1, 2, 50, 100])('accepts first: %d', (first) => {
    expect(pageSize(first)).toBe(first);
  });

  it.each([null, undefined])('falls back to 20 when first is %p', (first) => {
    expect(pageSize(first)).toBe(20);
  });

  it('falls back to the given default', () => {
    expect(pageSize(undefined, 50)).toBe(50);
    expect(pageSize(null, 5)).toBe(5);
  });

  it('validates the fallback too', () => {
    expect(badInputOf(() => pageSize(undefined, 500)).extensions.field).toBe('first');
  });

  it.each([0, -1, 101, 1000, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses first: %p naming the argument', (first) => {
    const error = badInputOf(() => pageSize(first));
    expect(error.extensions.field).toBe('first');
    expect(error.message).toBe('first: must be between 1 and 100');
  });
});

describe('cursors', () => {
  const id = randomUUID();

  it('round-trip: decodeCursor(kind, encodeCursor(kind, id)) is the id', () => {
    expect(decodeCursor('device', encodeCursor('device', id))).toBe(id);
  });

  it('are opaque base64url, not the raw id', () => {
    const cursor = encodeCursor('device', id);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(id);
  });

  it('differ by kind for the same id', () => {
    expect(encodeCursor('device', id)).not.toBe(encodeCursor('profile', id));
  });

  it.each([null, undefined])('no cursor (%p) means from the start', (cursor) => {
    expect(decodeCursor('device', cursor)).toBeUndefined();
  });

  it('refuses a cursor of another connection, naming "after"', () => {
    const error = badInputOf(() => decodeCursor('device', encodeCursor('profile', id)));
    expect(error.extensions.field).toBe('after');
    expect(error.message).toBe('after: is not a cursor returned by this connection');
  });

  it('refuses a cursor whose kind only shares a prefix', () => {
    badInputOf(() => decodeCursor('device', encodeCursor('deviceProfile', id)));
    badInputOf(() => decodeCursor('dev', encodeCursor('device', id)));
  });

  it.each([
    ['garbage', 'garbage!!'],
    ['empty', ''],
    ['a raw uuid', randomUUID()],
    ['right kind, not a uuid', Buffer.from('device:42').toString('base64url')],
    ['right kind, uuid with trailing data', Buffer.from(`device:${randomUUID()}x`).toString('base64url')],
    ['right kind, nothing after it', Buffer.from('device:').toString('base64url')],
    ['right kind, SQL', Buffer.from("device:' OR 1=1 --").toString('base64url')],
  ])('refuses %s with BAD_USER_INPUT on after', (_name, cursor) => {
    expect(badInputOf(() => decodeCursor('device', cursor)).extensions.field).toBe('after');
  });
});

describe('toConnection', () => {
  const rows = Array.from({ length: 4 }, () => ({ id: randomUUID(), name: 'x' }));

  it('with size + 1 rows: returns size edges, hasNextPage, and the cursor of the last returned row', () => {
    const connection = toConnection('device', rows, 3, 42);
    expect(connection.edges.map((e) => e.node)).toEqual(rows.slice(0, 3));
    expect(connection.pageInfo.hasNextPage).toBe(true);
    expect(connection.pageInfo.endCursor).toBe(encodeCursor('device', rows[2]!.id));
    expect(decodeCursor('device', connection.pageInfo.endCursor)).toBe(rows[2]!.id);
    expect(connection.totalCount).toBe(42);
  });

  it('with exactly size rows: no next page', () => {
    const connection = toConnection('device', rows.slice(0, 3), 3, 3);
    expect(connection.edges).toHaveLength(3);
    expect(connection.pageInfo).toEqual({ hasNextPage: false, endCursor: encodeCursor('device', rows[2]!.id) });
  });

  it('with fewer rows than size: all of them, no next page', () => {
    const connection = toConnection('device', rows.slice(0, 2), 3, 2);
    expect(connection.edges.map((e) => e.node.id)).toEqual([rows[0]!.id, rows[1]!.id]);
    expect(connection.pageInfo).toEqual({ hasNextPage: false, endCursor: encodeCursor('device', rows[1]!.id) });
  });

  it('with no rows: no edges and a null endCursor', () => {
    expect(toConnection('device', [], 20, 0)).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 });
  });

  it('gives every edge its own cursor of the connection kind', () => {
    const connection = toConnection('profile', rows, 3, 4);
    for (const edge of connection.edges) expect(decodeCursor('profile', edge.cursor)).toBe(edge.node.id);
  });
});
