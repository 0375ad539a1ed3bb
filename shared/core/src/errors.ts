/**
 * One error tree for all of Hourglass. Every error carries a stable `code`, says whether retrying
 * can help (`retriable`), and keeps its `cause`, so retry loops ask one flag and logs keep the chain.
 */
export class HourglassError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** One problem found in a configuration, located by its dotted path (`kafka.brokers.0`). */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** A configuration that failed validation. It lists every bad field at once, never just the first. */
export class ConfigError extends HourglassError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], source = 'config') {
    super(
      'CONFIG_INVALID',
      `${source} has ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n` +
        issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n'),
    );
    this.issues = issues;
  }
}

/** A dependency (Kafka, Redis, Prometheus) that could not be reached. Retriable by nature. */
export class UnavailableError extends HourglassError {
  constructor(what: string, address: string, cause?: unknown) {
    super('UNAVAILABLE', `${what} at ${address} is unreachable${causeText(cause)}`, { retriable: true, cause });
  }
}

/** The short reason of an unknown thrown value, for one-line messages. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function causeText(cause: unknown): string {
  return cause === undefined ? '' : `: ${describeError(cause)}`;
}
