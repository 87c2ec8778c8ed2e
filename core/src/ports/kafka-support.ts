import { logLevel, type KafkaMessage, type logCreator } from 'kafkajs';
import type { IncomingMessage } from './event-bus';

/** The slice of a pino logger the Kafka adapter writes to (a pino `Logger` fits). */
export interface KafkaBusLogger {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * kafkajs log settings: warnings and errors go to `logger` (with kafkajs' namespace and
 * details as fields), everything else is dropped. Without a logger kafkajs stays silent:
 * its default console logger is very chatty (a line per join, per commit retry…).
 */
export function kafkaLogSettings(logger: KafkaBusLogger | undefined): { logLevel: logLevel; logCreator: logCreator } {
  if (!logger) return { logLevel: logLevel.NOTHING, logCreator: () => () => {} };
  return {
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...details } = log;
      // Said once per producer; the bus bounds retries on purpose and replaces a producer
      // whose send gave up, which is what keeps the guarantee this warns about.
      if (message.startsWith('Limiting retries for the idempotent producer')) return;
      const fields = { kafka: namespace, ...details };
      if (level === logLevel.ERROR) logger.error(fields, message);
      else if (level === logLevel.WARN) logger.warn(fields, message);
    },
  };
}

/**
 * Turns a consumed Kafka record into the port's message. Records come from any producer,
 * not only this adapter, so nothing is trusted:
 * - a value that is not JSON arrives as its raw UTF-8 text, so the consumer's topic `parse`
 *   refuses it and it is dead-lettered instead of blocking the partition (a JSON.parse
 *   exception here would fail the batch for ever); a null value (a tombstone) arrives as null;
 * - a missing key arrives as '';
 * - header values are decoded as UTF-8; of a repeated header the last value wins, as with
 *   the Java client's `lastHeader`.
 */
export function decodeKafkaMessage(record: KafkaMessage): IncomingMessage {
  let value: unknown = null;
  if (record.value) {
    const text = record.value.toString('utf8');
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
  }
  const headers: Record<string, string> = {};
  for (const [name, raw] of Object.entries(record.headers ?? {})) {
    const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (last !== undefined) headers[name] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
  }
  return {
    key: record.key ? record.key.toString('utf8') : '',
    value,
    headers,
    offset: record.offset,
    timestamp: Number(record.timestamp),
  };
}

/** Resolves with `promise`, or rejects with `timeoutError()` once `ms` have passed. */
export function withTimeout<T>(promise: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
    timer.unref();
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

const TRANSIENT_METADATA = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION', 'NOT_CONTROLLER']);

/**
 * Whether a kafkajs error is worth another try: its own `retriable` flag, or the error a
 * "number of retries exceeded" wraps, or one of the metadata errors a topic shows while it
 * is still being created by another process.
 */
export function isRetriable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { retriable, type, originalError } = error as { retriable?: boolean; type?: string; originalError?: unknown };
  if (retriable === true || (type !== undefined && TRANSIENT_METADATA.has(type))) return true;
  return originalError !== undefined && originalError !== error && isRetriable(originalError);
}
