/** The minimal logger startup retries report to. */
export interface RetryLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Runs a start-up step (connect, subscribe, run) again while Kafka answers with a retriable error,
 * such as a topic whose partitions have no leader yet right after it was created, or a broker that
 * is restarting. A service then starts a little later instead of exiting. Non-retriable errors
 * (bad credentials, a bad config) fail at once. It logs state changes only: the first failure, a
 * failure with a different error, and the recovery; never one line per attempt.
 */
export async function retryStartup<T>(what: string, step: () => Promise<T>, log: RetryLog, options: { attempts?: number; delayMs?: number } = {}): Promise<T> {
  const attempts = options.attempts ?? 30;
  const delayMs = options.delayMs ?? 1000;
  let lastError: string | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await step();
      if (lastError !== undefined) log.info({ attempts: attempt }, `${what} succeeded after ${attempt} attempts`);
      return result;
    } catch (error) {
      const text = String(error);
      const retriable = (error as { retriable?: boolean }).retriable === true || /does not host this topic-partition|leader|not available|ECONNREFUSED/i.test(text);
      if (!retriable || attempt >= attempts) throw error;
      if (text !== lastError) log.warn({ attempt, err: text }, `${what} failed; retrying every ${delayMs / 1000}s, ${attempts} attempts in all`);
      lastError = text;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}
