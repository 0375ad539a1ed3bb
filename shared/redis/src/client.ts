import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import { HourglassError, UnavailableError, describeError } from '@hourglass/core';

/**
 * Where and how to reach Redis: the `redis` section of the Hourglass config (structurally), or a
 * bare URL. Secrets are file paths, read when a client is created; nothing here is ever logged.
 */
export interface RedisConnection {
  readonly url: string;
  /** ACL user; wins over a user in the URL. */
  readonly username?: string | undefined;
  /** File whose trimmed content is the password; wins over a password in the URL. */
  readonly passwordFile?: string | undefined;
  readonly tls?:
    | {
        readonly enabled: boolean;
        readonly caFile?: string | undefined;
        readonly certFile?: string | undefined;
        readonly keyFile?: string | undefined;
        readonly rejectUnauthorized: boolean;
      }
    | undefined;
}

/** A bare URL (as before) or the full connection settings. */
export type RedisTarget = string | RedisConnection;

/** The ioredis options that carry credentials and TLS, with every secret file already read. */
export interface RedisClientSecurity {
  readonly username?: string;
  readonly password?: string;
  readonly tls?: ConnectionOptions;
}

/** A secret or certificate file named in the redis config that cannot be read; names the path, never content. */
export class RedisSecretFileError extends HourglassError {
  constructor(what: string, path: string, cause: unknown) {
    super('CONFIG_SECRET_UNREADABLE', `cannot read Redis ${what} file ${path}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, { cause });
  }
}

/** Redis refused the credentials (WRONGPASS, NOAUTH) or the user's permissions (NOPERM). Not retriable. */
export class RedisAuthError extends HourglassError {
  constructor(address: string, user: string, cause: unknown) {
    super('REDIS_AUTH_FAILED', `Redis at ${address} refused authentication as user '${user}': ${describeError(cause)}`, { cause });
  }
}

/**
 * Turns the connection settings into ioredis options: username, password (from passwordFile) and
 * TLS (from `tls`, or implied by a `rediss://` URL) with the CA, certificate and key files read.
 */
export function resolveRedisSecurity(target: RedisTarget, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): RedisClientSecurity {
  if (typeof target === 'string') return {};
  const load = (what: string, path: string): string => {
    try {
      return read(path);
    } catch (error) {
      throw new RedisSecretFileError(what, path, error);
    }
  };
  const out: { username?: string; password?: string; tls?: ConnectionOptions } = {};
  if (target.username !== undefined) out.username = target.username;
  if (target.passwordFile !== undefined) out.password = load('password', target.passwordFile).trim();
  const tls = target.tls;
  if (tls ? tls.enabled : target.url.startsWith('rediss://')) {
    const options: ConnectionOptions = { rejectUnauthorized: tls?.rejectUnauthorized ?? true };
    if (tls?.caFile) options.ca = [load('TLS CA', tls.caFile)];
    if (tls?.certFile) options.cert = load('TLS certificate', tls.certFile);
    if (tls?.keyFile) options.key = load('TLS key', tls.keyFile);
    out.tls = options;
  }
  return out;
}

/** The URL of a target. */
export function redisUrlOf(target: RedisTarget): string {
  return typeof target === 'string' ? target : target.url;
}

/**
 * Creates an ioredis client that reconnects with a bounded backoff. By default commands wait
 * (queued) while it reconnects; with `failFast` they fail at once, for callers that would rather
 * drop and count than stall (the scorer's clean-buffer writes). A `RedisConnection` target adds
 * the ACL user, the password file and TLS.
 */
export function createRedis(target: RedisTarget, options: { lazyConnect?: boolean; failFast?: boolean } = {}): Redis {
  return new Redis(redisUrlOf(target), {
    ...toIoredis(resolveRedisSecurity(target)),
    lazyConnect: options.lazyConnect ?? false,
    enableOfflineQueue: !options.failFast,
    maxRetriesPerRequest: options.failFast ? 0 : 3,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
  });
}

/**
 * Pings Redis once and returns its server version. Throws RedisAuthError when the credentials are
 * refused (naming the user, never the password), UnavailableError naming the redacted URL otherwise,
 * and RedisSecretFileError when a secret file cannot be read.
 */
export async function probeRedis(target: RedisTarget, timeoutMs = 3000): Promise<{ version: string }> {
  const url = redisUrlOf(target);
  const security = resolveRedisSecurity(target);
  const client = new Redis(url, { ...toIoredis(security), lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let lastError: unknown;
  client.on('error', (error: unknown) => (lastError = error)); // reported through the rejected promise below
  try {
    await client.connect();
    await client.ping();
    const info = await client.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    return { version };
  } catch (error) {
    // ioredis rejects with a bare "Connection is closed." when TLS or AUTH failed; the 'error' event had the reason.
    const generic = !(error instanceof Error) || /^Connection is closed/.test(error.message);
    const reason = isAuthError(error) ? error : isAuthError(lastError) || (generic && lastError instanceof Error) ? lastError : error;
    const scrubbed = scrub(reason, [security.password, passwordInUrl(url)]);
    if (isAuthError(reason)) throw new RedisAuthError(redactUrl(url), security.username ?? userInUrl(url) ?? 'default', scrubbed);
    throw new UnavailableError('Redis', redactUrl(url), scrubbed);
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

/** What a target uses, for an operator: `TLS, user hourglass`; never a secret. */
export function describeRedisSecurity(target: RedisTarget): string {
  const url = redisUrlOf(target);
  const tls = typeof target === 'string' ? url.startsWith('rediss://') : target.tls ? target.tls.enabled : url.startsWith('rediss://');
  const user = (typeof target === 'string' ? undefined : target.username) ?? userInUrl(url);
  const password = (typeof target !== 'string' && target.passwordFile !== undefined) || passwordInUrl(url) !== undefined;
  return [tls ? 'TLS' : 'no TLS', user ? `user ${user}` : password ? 'password' : 'no auth'].join(', ');
}

function toIoredis(security: RedisClientSecurity): Partial<RedisOptions> {
  const out: Partial<RedisOptions> = {};
  if (security.username !== undefined) out.username = security.username;
  if (security.password !== undefined) out.password = security.password;
  if (security.tls !== undefined) out.tls = security.tls;
  return out;
}

function isAuthError(error: unknown): error is Error {
  return error instanceof Error && /^(WRONGPASS|NOAUTH|NOPERM)\b/.test(error.message);
}

/** The user or password written into a redis:// URL, decoded; undefined when absent or unparsable. */
function urlCredential(url: string, part: 'username' | 'password'): string | undefined {
  try {
    return decodeURIComponent(new URL(url)[part]) || undefined;
  } catch {
    return undefined;
  }
}

const userInUrl = (url: string): string | undefined => urlCredential(url, 'username');
const passwordInUrl = (url: string): string | undefined => urlCredential(url, 'password');

/** The error with any of `secrets` masked in its message (defence in depth: servers echo odd things). */
function scrub(error: unknown, secrets: readonly (string | undefined)[]): unknown {
  const present = secrets.filter((s): s is string => s !== undefined && s.length > 0);
  if (!(error instanceof Error) || present.length === 0) return error;
  let message = error.message;
  for (const secret of present) message = message.split(secret).join('***');
  if (message === error.message) return error;
  const copy = new Error(message);
  copy.name = error.name;
  return copy;
}
