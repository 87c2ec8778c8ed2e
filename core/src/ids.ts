import { randomUUID } from 'node:crypto';

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids sort by
 * creation time, which keeps B-tree inserts local and gives cursor pagination a stable,
 * meaningful order.
 */
export function uuidv7(now = Date.now()): string {
  // randomUUID draws from a pooled entropy buffer, several times cheaper than randomBytes(16)
  // per call, which matters: the intake makes one id per accepted point. Its version nibble
  // and variant bits sit where UUIDv7 wants them, so only the version digit is replaced.
  const random = randomUUID();
  const time = now.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}
