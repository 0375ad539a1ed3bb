import { FEEDBACK_VERDICTS, reportedPrecision, type HourglassConfig } from '@hourglass/core';
import { FeedbackRecorder, type FeedbackReader } from '@hourglass/pipeline';
import { RedisCodeStore, RedisFeedbackStore, RedisHeldBackStore, redisKeys, type Redis } from '@hourglass/redis';
import { Counter, Gauge, type Registry } from 'prom-client';

/** The recorder of verdicts over Redis, for `hourglass feedback` and the feedback topic alike. */
export function redisFeedbackRecorder(config: HourglassConfig, redis: Redis): FeedbackRecorder {
  const keys = redisKeys(config.redis.keyPrefix);
  return new FeedbackRecorder({
    groups: config.groups.map((g) => g.name), store: new RedisFeedbackStore(redis, keys), maxWindowsPerEpisode: config.feedback.maxWindowsPerEpisode,
    heldBack: config.feedback.enabled ? new RedisHeldBackStore(redis, keys, config.feedback.heldBackMaxWindows) : null,
    codes: config.similar.enabled ? new RedisCodeStore(redis, keys, config.similar.maxCodesPerGroup) : null,
  });
}

/** Feedback metrics (prefix `hourglass_feedback_`), exported by the trainer service. */
export function createFeedbackMetrics(registry: Registry) {
  const registers = [registry];
  return {
    verdicts: new Gauge({ name: 'hourglass_feedback_verdicts', help: 'Verdicts stored (from hourglass feedback and the feedback topic), by group and verdict (false-positive, confirmed); read from Redis every trainer loop.', labelNames: ['group', 'verdict'], registers }),
    precision: new Gauge({ name: 'hourglass_feedback_reported_precision', help: 'The precision operators reported: confirmed / (confirmed + false-positive) verdicts of the group; absent before its first verdict.', labelNames: ['group'], registers }),
    messages: new Counter({ name: 'hourglass_feedback_messages_total', help: 'Messages of the feedback topic by outcome (recorded; invalid_feedback and unknown_episode go to the dead-letter topic).', labelNames: ['outcome'], registers }),
  };
}

export type FeedbackMetrics = ReturnType<typeof createFeedbackMetrics>;

/** Sets the verdict counts and the reported precision of each group from the store. */
export async function refreshFeedbackGauges(metrics: FeedbackMetrics, reader: FeedbackReader, groups: readonly string[]): Promise<void> {
  for (const group of groups) {
    const list = await reader.list(group);
    for (const verdict of FEEDBACK_VERDICTS) metrics.verdicts.set({ group, verdict }, list.filter((f) => f.verdict === verdict).length);
    const precision = reportedPrecision({ confirmed: list.filter((f) => f.verdict === 'confirmed').length, falsePositive: list.filter((f) => f.verdict === 'false-positive').length });
    if (precision === null) metrics.precision.remove({ group });
    else metrics.precision.set({ group }, precision);
  }
}
