import type { HourglassConfig } from '@hourglass/core';
import { EpisodeCodes, createCodesMetrics } from '@hourglass/pipeline';
import { RedisCodeStore, type Redis, type RedisKeys } from '@hourglass/redis';
import type { Logger, createMetricsRegistry } from '@hourglass/runtime';

type Registry = ReturnType<typeof createMetricsRegistry>;

/** The scorer's episode codes (docs/incidents.md), stored in Redis: one capped stream per model group, shared by every scorer. */
export function redisEpisodeCodes(config: HourglassConfig, redis: Redis, keys: RedisKeys, registry: Registry, log: Logger): EpisodeCodes {
  return new EpisodeCodes({
    config: config.similar, store: new RedisCodeStore(redis, keys, config.similar.maxCodesPerGroup), metrics: createCodesMetrics(registry), log: log.child({ component: 'codes' }),
  });
}
