import { badInput } from '../errors';

/** Largest page a connection returns, whatever `first` asks for. */
export const MAX_PAGE_SIZE = 100;

/** Validates `first`: 1..MAX_PAGE_SIZE, else BAD_USER_INPUT naming the argument. */
export function pageSize(first: number | null | undefined, fallback = 20): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw badInput('first', `must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return size;
}

// Cursors are opaque to clients: base64url of "<kind>:<id>", so a cursor from one
// connection cannot be replayed against another.
export const encodeCursor = (kind: string, id: string) => Buffer.from(`${kind}:${id}`).toString('base64url');

/** Decodes a cursor made by encodeCursor for `kind`; BAD_USER_INPUT on `after` otherwise. */
export function decodeCursor(kind: string, cursor: string | null | undefined): string | undefined {
  if (cursor == null) return undefined;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const prefix = `${kind}:`;
  const id = decoded.startsWith(prefix) ? decoded.slice(prefix.length) : '';
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    throw badInput('after', 'is not a cursor returned by this connection');
  }
  return id;
}

/**
 * Builds a Relay connection from `size + 1` rows fetched in id order after the cursor:
 * the extra row only tells whether there is a next page.
 */
export function toConnection<T extends { id: string }>(kind: string, rows: T[], size: number, totalCount: number) {
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ cursor: encodeCursor(kind, node.id), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount,
  };
}
