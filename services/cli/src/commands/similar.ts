import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { HourglassError, type EpisodeCode, type EpisodeVerdict, type HourglassConfig, type SimilarEpisode } from '@hourglass/core';
import { DiskCodeStore, DiskFeedbackStore, type CodeStore } from '@hourglass/pipeline';
import { RedisCodeStore, RedisFeedbackStore, redisKeys } from '@hourglass/redis';
import { withRedis } from './redis-session';

/** What `hourglass similar --event ID` prints: the episode's stored peak and the earlier episodes most like it. */
export interface SimilarResult {
  readonly episode: Omit<EpisodeCode, 'window' | 'code' | 'similar'>;
  readonly similar: readonly SimilarEpisode[];
}

/**
 * `hourglass similar --event ID`: finds the stored code of the episode that ID names (its
 * `episodeId`, the id of its `open` event, or the id of the event at its peak) in Redis or, with
 * `stateDir`, in an embedded run's folder, and returns the similar earlier episodes stored with it.
 */
export async function similarTo(config: HourglassConfig, id: string, source: { stateDir?: string }): Promise<SimilarResult> {
  const found = source.stateDir !== undefined ? await findOnDisk(config, source.stateDir, id) : await findInRedis(config, id);
  if (found) return found;
  const where = source.stateDir !== undefined ? join(source.stateDir, 'codes') : `Redis (groups ${config.groups.map((g) => g.name).join(', ')})`;
  throw new HourglassError('EPISODE_UNKNOWN', `no stored episode code for '${id}' in ${where}: give an event's episodeId (its open event's id) or the id of the event at its peak`);
}

/**
 * The record as `similar` prints it, with the verdicts operators have given since it was written
 * (a record's `similar` list is what its scorer knew then): the feedback store has the newest.
 */
async function withVerdicts(found: EpisodeCode, feedback: { get(group: string, episodeId: string): Promise<{ verdict: EpisodeVerdict } | null> }): Promise<SimilarResult> {
  const { window: _window, code: _code, similar, ...episode } = found;
  const verdictOf = async (group: string, episodeId: string, stored: EpisodeVerdict) => (await feedback.get(group, episodeId))?.verdict ?? stored;
  return {
    episode: { ...episode, verdict: await verdictOf(episode.group, episode.episodeId, episode.verdict) },
    similar: await Promise.all((similar ?? []).map(async (s) => ({ ...s, verdict: await verdictOf(s.group, s.episodeId, s.verdict) }))),
  };
}

/** The result as lines: the episode, then one line per similar episode ("closest: ... on ..., marked false positive"). */
export function formatSimilar(r: SimilarResult): string {
  const e = r.episode;
  const lines = [`episode ${e.episodeId} on ${e.series} (group ${e.group}, model ${e.modelVersion}): opened ${e.openedAt}, peak ${e.at} severity ${e.severity.toFixed(1)}, ${verdictText(e.verdict)}`];
  if (r.similar.length === 0) lines.push('  no similar earlier episode');
  r.similar.forEach((s, i) => {
    lines.push(`  ${i === 0 ? 'closest' : `${i + 1}.`}: ${s.at} on ${s.series} (group ${s.group}), distance ${s.distance.toFixed(3)}, ${s.hamming} bits differ, severity ${s.severity.toFixed(1)}, ${verdictText(s.verdict)} (episode ${s.episodeId})`);
  });
  return lines.join('\n');
}

function verdictText(verdict: EpisodeVerdict): string {
  return verdict === 'false-positive' ? 'marked false positive' : verdict === 'confirmed' ? 'confirmed' : 'not judged';
}

/** The newest stored record of the episode `id` names, searching the groups in order. */
async function findIn(store: CodeStore, groups: readonly string[], id: string): Promise<EpisodeCode | undefined> {
  for (const group of groups) {
    const records = (await store.read(group, null)).records;
    const hit = records.find((r) => r.episodeId === id || r.eventId === id);
    if (hit) return records.filter((r) => r.episodeId === hit.episodeId).at(-1);
  }
  return undefined;
}

async function findOnDisk(config: HourglassConfig, stateDir: string, id: string): Promise<SimilarResult | undefined> {
  const dir = join(stateDir, 'codes');
  if (!existsSync(dir)) throw new HourglassError('USAGE', `no codes at ${dir}: run \`hourglass run\` with this --state-dir first`);
  const groups = readdirSync(dir).filter((f) => f.endsWith('.ndjson')).map((f) => f.slice(0, -'.ndjson'.length));
  const found = await findIn(new DiskCodeStore(dir, config.similar.maxCodesPerGroup), groups, id);
  return found && withVerdicts(found, new DiskFeedbackStore(join(stateDir, 'feedback')));
}

async function findInRedis(config: HourglassConfig, id: string): Promise<SimilarResult | undefined> {
  return withRedis(config, async (redis) => {
    const keys = redisKeys(config.redis.keyPrefix);
    const found = await findIn(new RedisCodeStore(redis, keys, config.similar.maxCodesPerGroup), config.groups.map((g) => g.name), id);
    return found && withVerdicts(found, new RedisFeedbackStore(redis, keys));
  });
}
