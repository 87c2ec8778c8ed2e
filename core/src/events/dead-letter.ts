import { z } from 'zod';

/**
 * The envelope of every dead-letter topic (`<base>.dlq.v1`): what was refused, why, and
 * from where, so an operator can inspect and replay it.
 */
export const deadLetterSchema = z.object({
  /** Human-readable cause, e.g. `values.temp: expected number, string or boolean`. */
  reason: z.string(),
  /** Where it came from: a topic name, or `http` / `mqtt` for the intake. */
  source: z.string(),
  /** The refused payload as received (UTF-8, cut to 64 KiB). */
  payload: z.string(),
  tenantId: z.string().optional(),
  deviceId: z.string().optional(),
  /** Epoch milliseconds. */
  at: z.number().int(),
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;

const MAX_PAYLOAD = 64 * 1024;

/** Builds a dead letter, cutting the payload to 64 KiB. */
export function deadLetter(fields: Omit<DeadLetter, 'at' | 'payload'> & { payload: string | Buffer }): DeadLetter {
  const payload = typeof fields.payload === 'string' ? fields.payload : fields.payload.toString('utf8');
  return { ...fields, payload: payload.slice(0, MAX_PAYLOAD), at: Date.now() };
}
