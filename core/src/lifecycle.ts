import type { Logger } from 'pino';

/**
 * Runs `close` once on SIGINT or SIGTERM, then exits: 0 when it finished, 1 when it threw or
 * took longer than `timeoutMs` (default 10 s). A second signal exits at once.
 */
export function closeOnSignals(logger: Logger, close: () => Promise<void>, timeoutMs = 10_000): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
