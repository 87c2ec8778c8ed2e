/**
 * A DataLoader batch function over a fetch of rows by id: answers `ids` in order, with null
 * where a row is missing or outside the caller's scope.
 */
export function batchById<T extends { id: string }>(fetch: (ids: readonly string[]) => Promise<T[]>) {
  return async (ids: readonly string[]): Promise<(T | null)[]> => {
    const rows = new Map((await fetch(ids)).map((row) => [row.id, row]));
    return ids.map((id) => rows.get(id) ?? null);
  };
}
