import { decodeWindow, encodeWindow, type Feedback, type Window } from '@hourglass/core';
import type { Redis } from 'ioredis';
import { decodeCleanPack, encodeCleanPack } from './clean-pack';
import type { RedisKeys } from './keys';

/**
 * Operators' verdicts, per model group: hash `hourglass:feedback:<group>` (field = episode id,
 * value = the Feedback as JSON) and, beside it, `...:windows` (the episode's windows as a
 * clean-buffer pack). Stored together in one MULTI; a later verdict on the episode replaces the
 * earlier one, and keeps its windows when it found none of its own (they rolled out since).
 */
export class RedisFeedbackStore {
  constructor(private readonly redis: Redis, private readonly keys: RedisKeys) {}

  async put(feedback: Feedback, windows: readonly Window[]): Promise<void> {
    const multi = this.redis.multi().hset(this.keys.feedback(feedback.group), feedback.episodeId, JSON.stringify(feedback));
    if (windows.length > 0) multi.hset(this.keys.feedbackWindows(feedback.group), feedback.episodeId, encodeCleanPack(windows.map(encodeWindow)));
    const results = await multi.exec();
    const failed = results?.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  async get(group: string, episodeId: string): Promise<Feedback | null> {
    const text = await this.redis.hget(this.keys.feedback(group), episodeId);
    return text === null ? null : parse(text);
  }

  /** Every stored verdict of a group, oldest first (by `at`). A value that does not parse is skipped. */
  async list(group: string): Promise<Feedback[]> {
    const all = await this.redis.hgetall(this.keys.feedback(group));
    return Object.values(all)
      .map(parse)
      .filter((f): f is Feedback => f !== null)
      .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.episodeId < b.episodeId ? -1 : 1));
  }

  /** The windows stored with an episode's verdict, time ordered (none when none were found). */
  async windows(group: string, episodeId: string): Promise<Window[]> {
    const pack = await this.redis.hgetBuffer(this.keys.feedbackWindows(group), episodeId);
    if (pack === null) return [];
    try {
      return decodeCleanPack(pack).map((bytes) => decodeWindow(bytes));
    } catch {
      return [];
    }
  }

  /** Removes a verdict and its windows; false when there was none. */
  async remove(group: string, episodeId: string): Promise<boolean> {
    const results = await this.redis.multi().hdel(this.keys.feedback(group), episodeId).hdel(this.keys.feedbackWindows(group), episodeId).exec();
    return Number(results?.[0]?.[1] ?? 0) === 1;
  }
}

function parse(text: string): Feedback | null {
  try {
    const f = JSON.parse(text) as Feedback;
    return f && f.v === 1 && typeof f.episodeId === 'string' && (f.verdict === 'false-positive' || f.verdict === 'confirmed') ? f : null;
  } catch {
    return null;
  }
}
