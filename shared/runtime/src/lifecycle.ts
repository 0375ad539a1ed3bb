import type { Logger } from 'pino';

/** The states a service moves through; `stopping` is entered once, on the first signal. */
export type LifecycleState = 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * Runs `stop` once on the first SIGINT or SIGTERM, then exits with 0 (or 1 when stop failed).
 * A second signal while stopping exits at once with 130, for an operator who really means it.
 */
export function onShutdownSignal(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal while stopping; exiting now');
      process.exit(130);
    }
    stopping = true;
    log.info({ signal }, 'shutting down gracefully');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'graceful shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
