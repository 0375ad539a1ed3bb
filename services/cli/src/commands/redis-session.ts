import { HourglassError, type HourglassConfig } from '@hourglass/core';
import { createRedis, redactUrl, type Redis } from '@hourglass/redis';

/** How long a command waits for Redis to answer before it gives up with one clear line. */
const READY_TIMEOUT_MS = 5000;

/**
 * Runs `fn` with a Redis connection for one CLI command: fails fast with UNAVAILABLE (the address
 * redacted) when Redis does not answer, and always disconnects.
 */
export async function withRedis<T>(config: HourglassConfig, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = createRedis(config.redis, { failFast: true });
  redis.on('error', () => undefined); // reported through the timeout or the command's own failure
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new HourglassError('UNAVAILABLE', `Redis at ${redactUrl(config.redis.url)} did not answer within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      redis.once('ready', () => (clearTimeout(timer), resolve()));
    });
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}
