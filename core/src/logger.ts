import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * A pino logger. `format` defaults to pretty output on a terminal and JSON otherwise,
 * so `npm start` reads well while containers and log shippers get structured lines.
 */
export function createLogger(opts: { name: string; level?: string; format?: 'json' | 'pretty' }): Logger {
  const format = opts.format ?? (process.stdout.isTTY ? 'pretty' : 'json');
  return pino({
    name: opts.name,
    level: opts.level ?? 'info',
    redact: { paths: ['*.password', '*.token', '*.key', '*.authorization', 'req.headers.authorization'], remove: true },
    ...(format === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' } } }
      : {}),
  });
}
