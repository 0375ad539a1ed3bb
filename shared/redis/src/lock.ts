import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

// Extends or releases the lock only if we still hold it (our token), so an expired holder can
// never release or extend a lock that another replica has since taken.
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** A held lock: extend it while working; release it when done. Expiry frees it if we crash. */
export interface HeldLock {
  readonly key: string;
  readonly token: string;
  extend(ttlMs: number): Promise<boolean>;
  release(): Promise<boolean>;
}

/** Tries once to take `key` for `ttlMs`; null when another holder has it. */
export async function tryLock(redis: Redis, key: string, ttlMs: number): Promise<HeldLock | null> {
  const token = randomBytes(16).toString('hex');
  const ok = await redis.set(key, token, 'PX', ttlMs, 'NX');
  if (ok !== 'OK') return null;
  return {
    key,
    token,
    extend: async (ms) => (await redis.eval(EXTEND, 1, key, token, String(ms))) === 1,
    release: async () => (await redis.eval(RELEASE, 1, key, token)) === 1,
  };
}
