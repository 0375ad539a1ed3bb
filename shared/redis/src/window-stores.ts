import { decodeWindow, type SeriesEpisodeState, type Window } from '@hourglass/core';
import type { Redis } from 'ioredis';
import { CleanBuffer } from './clean-buffer';
import { encodeWindowPack } from './clean-pack';
import type { RedisKeys } from './keys';

/**
 * The clean buffer in terms of windows: what the scorer appends and the trainer reads. Entries
 * are the windows topic's binary encoding, so the buffer and the topic share one format.
 */
export class RedisWindowBuffer {
  private readonly buffer: CleanBuffer;

  constructor(redis: Redis, keys: RedisKeys, private readonly maxLen: number) {
    this.buffer = new CleanBuffer(redis, keys);
  }

  /** `keepNewest` caps the buffer lower than its maxLen (in windows), for the rolling cold-start warm-up. One packed stream entry per call. */
  append(group: string, windows: readonly Window[], keepNewest?: number): Promise<void> {
    const maxLen = Math.min(this.maxLen, keepNewest ?? Infinity);
    // A batch larger than the cap (a cold-start warm-up) keeps only its newest maxLen windows.
    const kept = windows.length > maxLen ? windows.slice(windows.length - maxLen) : windows;
    return this.buffer.appendPack(group, encodeWindowPack(kept), kept.length, maxLen);
  }

  size(group: string): Promise<number> {
    return this.buffer.size(group);
  }

  /** When the oldest buffered window was appended (Unix ms), or null when the buffer is empty. */
  oldestAppendedMs(group: string): Promise<number | null> {
    return this.buffer.oldestEntryMs(group);
  }

  /** Windows ever appended (the trainer's "new windows since the last fit" counts these). */
  totalAdded(group: string): Promise<number> {
    return this.buffer.totalAdded(group);
  }

  /** The newest `count` windows, oldest first. An entry that does not decode is skipped, not fatal. */
  async recent(group: string, count: number): Promise<Window[]> {
    const out: Window[] = [];
    for (const bytes of await this.buffer.recent(group, count)) {
      try {
        out.push(decodeWindow(bytes));
      } catch {
        // A corrupt entry cannot teach anything; the trainer fits from the rest.
      }
    }
    return out;
  }
}

/** Per-series episode state of the scorer, one Redis hash per group, so a new owner continues episodes. */
export class RedisEpisodeStore {
  constructor(private readonly redis: Redis, private readonly keys: RedisKeys) {}

  async load(group: string, series: readonly string[]): Promise<Map<string, SeriesEpisodeState>> {
    const out = new Map<string, SeriesEpisodeState>();
    if (series.length === 0) return out;
    const values = await this.redis.hmget(this.keys.episodes(group), ...series);
    values.forEach((text, i) => {
      if (text) out.set(series[i]!, JSON.parse(text) as SeriesEpisodeState);
    });
    return out;
  }

  async save(group: string, states: ReadonlyMap<string, SeriesEpisodeState>): Promise<void> {
    if (states.size === 0) return;
    const fields: Record<string, string> = {};
    for (const [series, state] of states) fields[series] = JSON.stringify(state);
    await this.redis.hset(this.keys.episodes(group), fields);
  }
}
