import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { HourglassError } from '@hourglass/core';
import type { RedisKeys } from './keys';

/** What `current` points at: a version and the SHA-256 of its artifact, checked on every load. */
export interface ModelPointer {
  readonly version: string;
  readonly sha256: string;
}

/** A stored model version. `report` is the training report as JSON text. */
export interface StoredModel {
  readonly group: string;
  readonly version: string;
  readonly artifact: Buffer;
  readonly sha256: string;
  readonly report: string;
  readonly createdAt: string;
}

/** The notification published on the models channel when a pointer moves. */
export interface ModelNotification {
  readonly group: string;
  readonly version: string;
  readonly sha256: string;
}

// Moves the pointer only if the version exists and its digest matches, publishes, and prunes
// versions beyond the newest K (never the one `current` points at), all in one atomic script.
const PROMOTE = `
local versionKey, currentKey, indexKey = KEYS[1], KEYS[2], KEYS[3]
local version, sha, channel, keep, prefix, group = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
if redis.call('HGET', versionKey, 'sha256') ~= sha then return redis.error_reply('NOVERSION') end
local pointer = cjson.encode({version = version, sha256 = sha})
redis.call('SET', currentKey, pointer)
redis.call('PUBLISH', channel, cjson.encode({group = group, version = version, sha256 = sha}))
local count = redis.call('ZCARD', indexKey)
if count > keep then
  local old = redis.call('ZRANGE', indexKey, 0, count - keep - 1)
  for _, v in ipairs(old) do
    if v ~= version then
      redis.call('DEL', prefix .. v)
      redis.call('ZREM', indexKey, v)
    end
  end
end
return pointer
`;

/**
 * The versioned model registry in Redis. A version is written with one HSET (so it is never
 * half-written), and `current` moves only through an atomic script that checks the digest.
 */
export class ModelRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    /** Versions kept per group; older ones are deleted when the pointer moves. */
    private readonly keepVersions = 10,
  ) {}

  /** Stores a new version (not yet current) and returns its id (`v<n>`). */
  async putVersion(group: string, artifact: Buffer, report: unknown): Promise<StoredModel> {
    const sequence = await this.redis.incr(this.keys.modelSequence(group));
    const version = `v${sequence}`;
    const sha256 = createHash('sha256').update(artifact).digest('hex');
    const createdAt = new Date().toISOString();
    const reportText = JSON.stringify(report);
    await this.redis
      .multi()
      .hset(this.keys.modelVersion(group, version), { artifact, sha256, report: reportText, createdAt })
      .zadd(this.keys.modelVersions(group), sequence, version)
      .exec()
      .then(throwOnTransactionError);
    return { group, version, artifact, sha256, report: reportText, createdAt };
  }

  /** Points `current` at an existing version (promotion and rollback) and notifies scorers. */
  async setCurrent(group: string, version: string): Promise<ModelPointer> {
    const sha256 = await this.redis.hget(this.keys.modelVersion(group, version), 'sha256');
    if (sha256 === null) throw new HourglassError('MODEL_VERSION_UNKNOWN', `model group '${group}' has no version '${version}'`);
    const versionKeyPrefix = this.keys.modelVersion(group, '');
    try {
      const pointer = (await this.redis.eval(
        PROMOTE, 3, this.keys.modelVersion(group, version), this.keys.modelCurrent(group), this.keys.modelVersions(group),
        version, sha256, this.keys.modelsChannel(), String(this.keepVersions), versionKeyPrefix, group,
      )) as string;
      return JSON.parse(pointer) as ModelPointer;
    } catch (error) {
      if (String(error).includes('NOVERSION')) throw new HourglassError('MODEL_VERSION_UNKNOWN', `model group '${group}' version '${version}' vanished while promoting`);
      throw error;
    }
  }

  /** The current pointer of a group, or null when the group has no model yet. */
  async current(group: string): Promise<ModelPointer | null> {
    const text = await this.redis.get(this.keys.modelCurrent(group));
    return text === null ? null : (JSON.parse(text) as ModelPointer);
  }

  /**
   * Loads a version and verifies its artifact against `expectedSha256` (from the pointer) and the
   * stored digest, so a tampered or corrupted artifact is refused before anyone parses it.
   */
  async load(group: string, version: string, expectedSha256?: string): Promise<StoredModel> {
    const key = this.keys.modelVersion(group, version);
    const [artifact, fields] = await Promise.all([this.redis.hgetBuffer(key, 'artifact'), this.redis.hmget(key, 'sha256', 'report', 'createdAt')]);
    const [sha256, report, createdAt] = fields;
    if (artifact === null || !sha256 || !report || !createdAt) {
      throw new HourglassError('MODEL_VERSION_UNKNOWN', `model group '${group}' has no complete version '${version}'`);
    }
    const actual = createHash('sha256').update(artifact).digest('hex');
    if (actual !== sha256 || (expectedSha256 !== undefined && actual !== expectedSha256)) {
      throw new HourglassError('MODEL_INTEGRITY', `model ${group}/${version} failed its integrity check (artifact sha256 ${actual.slice(0, 12)}… does not match the registry's)`);
    }
    return { group, version, artifact, sha256, report, createdAt };
  }

  /** The current model of a group, verified, or null when there is none. */
  async loadCurrent(group: string): Promise<StoredModel | null> {
    const pointer = await this.current(group);
    return pointer === null ? null : this.load(group, pointer.version, pointer.sha256);
  }

  /** Appends a gate decision to the group's capped decision log (newest first, 100 kept). */
  async recordDecision(group: string, decision: unknown): Promise<void> {
    const key = this.keys.modelDecisions(group);
    await this.redis.multi().lpush(key, JSON.stringify(decision)).ltrim(key, 0, 99).exec().then(throwOnTransactionError);
  }

  /** The newest `count` gate decisions of a group. */
  async decisions(group: string, count = 20): Promise<unknown[]> {
    return (await this.redis.lrange(this.keys.modelDecisions(group), 0, count - 1)).map((t) => JSON.parse(t) as unknown);
  }

  /** The versions of a group, oldest first, with their reports and which one is current. */
  async list(group: string): Promise<{ version: string; createdAt: string; current: boolean; report: unknown }[]> {
    const [versions, pointer] = await Promise.all([this.redis.zrange(this.keys.modelVersions(group), 0, -1), this.current(group)]);
    const rows = await Promise.all(
      versions.map(async (version) => {
        const [createdAt, report] = await this.redis.hmget(this.keys.modelVersion(group, version), 'createdAt', 'report');
        return { version, createdAt: createdAt ?? '', current: pointer?.version === version, report: report ? (JSON.parse(report) as unknown) : null };
      }),
    );
    return rows;
  }
}

function throwOnTransactionError(results: [Error | null, unknown][] | null): void {
  if (results === null) throw new HourglassError('REDIS_TRANSACTION_ABORTED', 'Redis transaction was aborted', { retriable: true });
  for (const [error] of results) if (error) throw new HourglassError('REDIS_WRITE_FAILED', error.message, { retriable: true, cause: error });
}
