// Graceful shutdown for the service and the worker: on SIGINT/SIGTERM run the steps in order (stop accepting,
// drain, close the database), once, then exit 0 — or 1 when a step failed.
import type { Logger } from './logger.js';

export function onShutdown(logger: Logger, what: string, steps: () => Promise<void>): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${what} shutting down`);
    try {
      await steps();
      logger.info(`${what} stopped`);
      process.exit(0);
    } catch (err) {
      logger.error({ err }, `error during ${what} shutdown`);
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
