import type { OutgoingMessage, SubscribeOptions } from './event-bus';

/**
 * Validates a whole publish before any of it is sent and returns each value as JSON text.
 * Throws a TypeError naming the first offending message: an empty topic, a non-string key
 * or header value, or a value JSON.stringify cannot represent (undefined, a function).
 * Shared by the bus adapters so they reject exactly the same input.
 */
export function encodeMessages(topic: string, messages: readonly OutgoingMessage[]): string[] {
  if (typeof topic !== 'string' || topic === '') throw new TypeError('topic must be a non-empty string');
  if (!Array.isArray(messages)) throw new TypeError('messages must be an array');
  return messages.map((message, i) => {
    if (typeof message.key !== 'string') throw new TypeError(`message ${i}: key must be a string`);
    for (const [name, value] of Object.entries(message.headers ?? {})) {
      if (typeof value !== 'string') throw new TypeError(`message ${i}: header ${name} must be a string`);
    }
    const json = JSON.stringify(message.value);
    if (typeof json !== 'string') throw new TypeError(`message ${i}: value is not JSON-serializable`);
    return json;
  });
}

/** The subscribe arguments both adapters check; throws a TypeError or RangeError naming the bad one. */
export function assertSubscribeOptions({ topic, groupId, handleBatch, linger }: SubscribeOptions): void {
  if (typeof topic !== 'string' || topic === '') throw new TypeError('topic must be a non-empty string');
  if (typeof groupId !== 'string' || groupId === '') throw new TypeError('groupId must be a non-empty string');
  if (typeof handleBatch !== 'function') throw new TypeError('handleBatch must be a function');
  if (linger && !(Number.isInteger(linger.minMessages) && linger.minMessages > 0 && Number.isFinite(linger.maxWaitMs) && linger.maxWaitMs >= 0)) {
    throw new RangeError(`linger needs a positive integer minMessages and a maxWaitMs ≥ 0, got ${JSON.stringify(linger)}`);
  }
}
