import { z } from 'zod';
import type { Batch, EventBus, IncomingMessage } from '../ports/event-bus';

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

const stringField = (value: unknown, field: string): string | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  const found: unknown = Reflect.get(value, field);
  return typeof found === 'string' ? found : undefined;
};

/** The dead letter of a consumed message: its value as JSON, and its tenant and device when it names them. */
export function deadLetterOf(message: IncomingMessage, source: string, reason: string): DeadLetter {
  return deadLetter({
    reason,
    source,
    payload: JSON.stringify(message.value) ?? 'undefined',
    tenantId: stringField(message.value, 'tenantId'),
    deviceId: stringField(message.value, 'deviceId'),
  });
}

/** Publishes letters of consumed messages to `dlqTopic`, keyed as they were, with the partition and offset they came from. */
export async function publishDeadLetters(
  bus: EventBus,
  dlqTopic: string,
  batch: Batch,
  letters: ReadonlyArray<{ message: IncomingMessage; letter: DeadLetter }>,
): Promise<void> {
  if (letters.length === 0) return;
  await bus.publish(
    dlqTopic,
    letters.map(({ message, letter }) => ({
      key: message.key,
      value: letter,
      headers: { 'x-ump-source-partition': String(batch.partition), 'x-ump-source-offset': message.offset },
    })),
  );
}
