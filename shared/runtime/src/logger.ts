import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The root structured logger: JSON lines on stderr, so that stdout stays free for a command's own
 * output (NDJSON events, `infra:status` lines). Components take a child with `component` set.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    { level: options.level ?? 'info', base: options.name ? { service: options.name } : {}, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: 2, sync: true }),
  );
}
