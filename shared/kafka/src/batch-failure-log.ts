import { describeError } from '@hourglass/core';

/** The two log levels this needs (a pino logger fits). */
export interface FailureLogger {
  error(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

/**
 * Logs a consumer's failed batches once per change (failing, then recovered), not once per
 * redelivery: a broker that refuses for minutes would otherwise log a line every retry. `what`
 * names what a failed batch did not publish ("events", "incidents").
 */
export class BatchFailureLog {
  private failingSince: number | null = null;
  private failures = 0;

  constructor(private readonly log: FailureLogger, private readonly what = 'events', private readonly now: () => number = Date.now) {}

  failed(error: unknown): void {
    this.failures++;
    if (this.failingSince !== null) return;
    this.failingSince = this.now();
    this.log.error({ err: describeError(error) }, `a batch could not be completed (its ${this.what} were not published); nothing is committed and the batch is redelivered until it succeeds`);
  }

  succeeded(): void {
    if (this.failingSince === null) return;
    this.log.info({ failedAttempts: this.failures, seconds: (this.now() - this.failingSince) / 1000 }, 'batches complete again');
    this.failingSince = null;
    this.failures = 0;
  }
}
