import { Redis } from 'ioredis';
import { UnavailableError } from '@hourglass/core';

/**
 * Creates an ioredis client that reconnects with a bounded backoff. By default commands wait
 * (queued) while it reconnects; with `failFast` they fail at once, for callers that would rather
 * drop and count than stall (the scorer's clean-buffer writes).
 */
export function createRedis(url: string, options: { lazyConnect?: boolean; failFast?: boolean } = {}): Redis {
  return new Redis(url, {
    lazyConnect: options.lazyConnect ?? false,
    enableOfflineQueue: !options.failFast,
    maxRetriesPerRequest: options.failFast ? 0 : 3,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
  });
}

/** Pings Redis once and returns its server version; throws UnavailableError naming the URL. */
export async function probeRedis(url: string, timeoutMs = 3000): Promise<{ version: string }> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined); // reported through the rejected promise below
  try {
    await client.connect();
    await client.ping();
    const info = await client.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    return { version };
  } catch (error) {
    throw new UnavailableError('Redis', redactUrl(url), error);
  } finally {
    client.disconnect();
  }
}

/** The URL with any password replaced, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable redis url>';
  }
}
