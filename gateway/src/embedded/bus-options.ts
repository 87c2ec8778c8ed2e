/** How the embedded platform's in-process bus is tuned; the writer benchmark uses the same. */
export const EMBEDDED_BUS_OPTIONS = {
  // Big batches once the writer is behind: chDB's insert (the points and four materialized
  // views) costs 35-40 µs a message at 20,000 a batch against 65-100 µs at 2,000, so a
  // backlog drains 1.6x faster (measured). At low rates the writer's linger keeps
  // batches small and points readable within half a second.
  maxBatchSize: 20_000,
  // Nothing joins later and replays from the beginning: keep a little for inspection,
  // not every message since start (1,000 msg/s would hold gigabytes within a day).
  retainConsumed: 10_000,
} as const;
