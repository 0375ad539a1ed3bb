import { join } from 'node:path';
import { ConfigError, HourglassError, feedbackRequestSchema, reportedPrecision, type Feedback, type HourglassConfig } from '@hourglass/core';
import { DiskCodeStore, DiskFeedbackStore, DiskHeldBack, FeedbackRecorder, type RecordedFeedback } from '@hourglass/pipeline';
import { RedisFeedbackStore, redisKeys } from '@hourglass/redis';
import { redisFeedbackRecorder } from '@hourglass/trainer';
import { withRedis } from './redis-session';

/** What `hourglass feedback --event ID --verdict V` takes (flags as the command line parsed them). */
export interface FeedbackOptions {
  readonly event?: string;
  readonly verdict?: string;
  readonly note?: string;
  /** Who gives it (the command line fills in $USER). */
  readonly by: string;
  /** Embedded mode's folder instead of Redis. */
  readonly stateDir?: string;
}

/**
 * `hourglass feedback`: validates the flags (every bad one named), finds the episode, stores the
 * verdict with the episode's windows, and marks the episode's stored code with it (docs/feedback.md).
 */
export async function giveFeedback(config: HourglassConfig, options: FeedbackOptions): Promise<RecordedFeedback> {
  const parsed = feedbackRequestSchema.safeParse({ event: options.event, verdict: options.verdict, by: options.by, ...(options.note !== undefined ? { note: options.note } : {}) });
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => ({ path: `--${String(i.path[0] ?? 'event')}`, message: i.message })), 'feedback');
  const request = parsed.data;
  if (options.stateDir !== undefined) return recorderOnDisk(config, options.stateDir).record(request, 'cli', options.by);
  return withRedis(config, (redis) => redisFeedbackRecorder(config, redis).record(request, 'cli', options.by));
}

/** `hourglass feedback --list`: the stored verdicts of one group or of all, oldest first. */
export async function listFeedback(config: HourglassConfig, options: { group?: string; stateDir?: string }): Promise<Feedback[]> {
  const groups = options.group !== undefined ? [options.group] : config.groups.map((g) => g.name);
  if (options.group !== undefined && !config.groups.some((g) => g.name === options.group)) throw new HourglassError('USAGE', `no model group '${options.group}' in the config`);
  const read = async (store: { list(group: string): Promise<Feedback[]> }) => (await Promise.all(groups.map((g) => store.list(g)))).flat();
  if (options.stateDir !== undefined) return read(new DiskFeedbackStore(join(options.stateDir, 'feedback')));
  return withRedis(config, (redis) => read(new RedisFeedbackStore(redis, redisKeys(config.redis.keyPrefix))));
}

/** `hourglass feedback --remove --event ID`: forgets a verdict (Redis only); the next refit no longer uses it. */
export async function removeFeedback(config: HourglassConfig, episodeId: string): Promise<string | null> {
  return withRedis(config, async (redis) => {
    const store = new RedisFeedbackStore(redis, redisKeys(config.redis.keyPrefix));
    for (const { name } of config.groups) if (await store.remove(name, episodeId)) return name;
    return null;
  });
}

/** One line per verdict, then the precision operators reported per group. */
export function formatFeedback(list: readonly Feedback[]): string {
  if (list.length === 0) return 'no feedback';
  const lines = list.map((f) => `${f.at}  ${f.verdict.padEnd(14)} ${f.group}/${f.series}  episode ${f.episodeId}  ${f.windows} windows  by ${f.by}${f.note ? ` - ${f.note}` : ''}`);
  for (const group of [...new Set(list.map((f) => f.group))]) {
    const of = list.filter((f) => f.group === group);
    const precision = reportedPrecision({ confirmed: of.filter((f) => f.verdict === 'confirmed').length, falsePositive: of.filter((f) => f.verdict === 'false-positive').length });
    lines.push(`${group}: ${of.length} verdicts, reported precision ${precision === null ? '-' : precision.toFixed(2)}`);
  }
  return lines.join('\n');
}

/** The one-line answer to a recorded verdict. */
export function formatRecorded({ feedback: f, codeVerdictError }: RecordedFeedback): string {
  const windows = f.windows === 0
    ? 'no windows of it are held any more, so it teaches the next refit nothing (docs/feedback.md)'
    : `${f.windows} windows stored; the next refit ${f.verdict === 'false-positive' ? 'learns them' : 'must still flag them'}`;
  return `recorded ${f.verdict} for episode ${f.episodeId} on ${f.series} (group ${f.group}): ${windows}${codeVerdictError ? `; the episode's stored code was not marked: ${codeVerdictError}` : ''}`;
}

function recorderOnDisk(config: HourglassConfig, stateDir: string): FeedbackRecorder {
  const dir = join(stateDir, 'feedback');
  return new FeedbackRecorder({
    groups: config.groups.map((g) => g.name), store: new DiskFeedbackStore(dir), maxWindowsPerEpisode: config.feedback.maxWindowsPerEpisode,
    heldBack: config.feedback.enabled ? new DiskHeldBack(join(dir, 'heldback'), config.feedback.heldBackMaxWindows) : null,
    codes: config.similar.enabled ? new DiskCodeStore(join(stateDir, 'codes'), config.similar.maxCodesPerGroup) : null,
  });
}
