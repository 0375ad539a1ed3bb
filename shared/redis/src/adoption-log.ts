import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys';

/**
 * The adoption log in Redis (see @hourglass/pipeline's AdoptionLog): a set per group of the model
 * versions under which a series adopted a new normal. It grows by at most one member per model
 * version, and versions are few (trainer.keepVersions), so it needs no cap.
 */
export class RedisAdoptionLog {
  constructor(private readonly redis: Redis, private readonly keys: RedisKeys) {}

  async record(group: string, version: string): Promise<void> {
    await this.redis.sadd(this.keys.adoptions(group), version);
  }

  async adoptedUnder(group: string, version: string): Promise<boolean> {
    return (await this.redis.sismember(this.keys.adoptions(group), version)) === 1;
  }
}
