import { decodeWindow, type HeldBackWindow, type Window } from '@hourglass/core';
import type { Redis } from 'ioredis';
import { TRIM_PACKS_LUA, decodeCleanPack, encodeWindowPack } from './clean-pack';
import type { RedisKeys } from './keys';

/**
 * Appends one entry (pack ARGV 1 of ARGV 2 windows, tags ARGV 3), then drops the oldest entries
 * while the rest still hold ARGV 4 windows; KEYS[2] counts the windows held (`held`). A missing
 * stream restarts the count (an operator may DEL the stream alone), as the clean buffer's does.
 */
const APPEND = `${TRIM_PACKS_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('DEL', KEYS[2]) end
redis.call('XADD', KEYS[1], '*', 'p', ARGV[1], 'n', ARGV[2], 'e', ARGV[3])
local held = redis.call('HINCRBY', KEYS[2], 'held', ARGV[2])
return trimPacks(KEYS[1], KEYS[2], 'held', held, tonumber(ARGV[4]))
`;

const PAGE = 256;

/**
 * The windows the scorers kept out of the clean buffer (anomalous, or inside an episode), one
 * capped stream per group (`hourglass:heldback:<group>`), so that a verdict given later can find
 * its episode's windows. One entry per group and batch, like the clean buffer: field `p` a
 * clean-buffer pack, `n` its window count, `e` a JSON array of the episode id of each window
 * (null: anomalous before an episode opened). The cap counts windows (`feedback.heldBackMaxWindows`):
 * as in the clean buffer, a group holds between the cap and the cap plus one entry.
 */
export class RedisHeldBackStore {
  constructor(private readonly redis: Redis, private readonly keys: RedisKeys, private readonly maxWindows: number) {}

  async append(group: string, held: readonly HeldBackWindow[]): Promise<void> {
    if (held.length === 0) return;
    const kept = held.length > this.maxWindows ? held.slice(held.length - this.maxWindows) : held;
    const key = this.keys.heldBack(group);
    await this.redis.eval(
      APPEND, 2, key, `${key}:count`,
      encodeWindowPack(kept.map((h) => h.window)), String(kept.length), JSON.stringify(kept.map((h) => h.episodeId)), String(this.maxWindows),
    );
  }

  /** Every held-back window of a group, oldest first. An entry that does not decode is skipped. */
  async read(group: string): Promise<HeldBackWindow[]> {
    const out: HeldBackWindow[] = [];
    let after = '-';
    for (;;) {
      const entries = await this.redis.xrangeBuffer(this.keys.heldBack(group), after, '+', 'COUNT', PAGE);
      for (const [, fields] of entries) out.push(...entryWindows(fields));
      if (entries.length < PAGE) return out;
      after = `(${entries[entries.length - 1]![0].toString()}`;
    }
  }
}

function entryWindows(fields: Buffer[]): HeldBackWindow[] {
  const named = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2) named.set(fields[i]!.toString(), fields[i + 1]!);
  try {
    const windows: Window[] = decodeCleanPack(named.get('p')!).map((bytes) => decodeWindow(bytes));
    const tags = JSON.parse(named.get('e')?.toString() ?? '[]') as (string | null)[];
    return windows.map((window, i) => ({ window, episodeId: typeof tags[i] === 'string' ? tags[i] : null }));
  } catch {
    return []; // a corrupt entry names no episode's windows; the others still do
  }
}
