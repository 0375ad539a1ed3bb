/** The minimal logger startup retries report to. */
export interface RetryLog {
  warn(obj: object, msg: string): void;
}

/**
 * Runs a start-up step (connect, subscribe, run) again while Kafka answers with a retriable error,
 * such as a topic whose partitions have no leader yet right after it was created, or a broker that
 * is restarting. A service then starts a little later instead of exiting. Non-retriable errors
 * (bad credentials, a bad config) fail at once.
 */
export async function retryStartup<T>(what: string, step: () => Promise<T>, log: RetryLog, options: { attempts?: number; delayMs?: number } = {}): Promise<T> {
  const attempts = options.attempts ?? 30;
  const delayMs = options.delayMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      const retriable = (error as { retriable?: boolean }).retriable === true || /does not host this topic-partition|leader|not available|ECONNREFUSED/i.test(String(error));
      if (!retriable || attempt >= attempts) throw error;
      log.warn({ attempt, err: String(error) }, `${what} failed; retrying`);
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}
