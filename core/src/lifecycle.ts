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

/** Registers how to close something a service just opened; see {@link runService}. */
export type OnClose = (close: () => Promise<unknown>) => void;

/**
 * A service process's life. `start` opens the service's resources, registering each one's
 * closer with `onClose` right after opening it. Once started, SIGINT / SIGTERM close them in
 * reverse order (closeOnSignals). When `start` throws, the error is logged as
 * "<what> failed to start: <message>", what was opened so far is closed in reverse order, and
 * the process exits with 1 (at the latest after 10 s, should a close hang).
 */
export function runService(logger: Logger, what: string, start: (onClose: OnClose) => Promise<void>): void {
  const closers: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    while (closers.length > 0) await closers.pop()!();
  };
  start((close) => void closers.push(close)).then(
    () => closeOnSignals(logger, closeAll),
    async (error: unknown) => {
      logger.fatal({ err: error }, `${what} failed to start: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
      setTimeout(() => process.exit(1), 10_000).unref();
      await closeAll().catch((closeError: unknown) => logger.error({ err: closeError }, 'closing after the failed start failed'));
    },
  );
}
