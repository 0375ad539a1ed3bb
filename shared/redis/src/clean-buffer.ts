import type { Redis } from 'ioredis';
import { TRIM_PACKS_LUA, decodeCleanPack, encodeCleanPack } from './clean-pack';
import type { RedisKeys } from './keys';

// The counts hash beside the stream (`<buffer key>:count`: group names have no ':', so it is never
// another group's stream) holds `buffered` (windows now in the stream) and `added` (windows ever
// appended). The stream's own XLEN and entries-added count entries, and an entry is a pack of many
// windows. Both scripts treat a missing stream as empty (tests and operators empty a buffer with
// DEL on the stream alone) and a stream without counts as one written before packs (one window
// per entry), so an upgrade keeps its windows and its count.
const COUNTS_INIT = `
local function initCounts()
  if redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('DEL', KEYS[2])
    return
  end
  if redis.call('HEXISTS', KEYS[2], 'buffered') == 1 then return end
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  local added = redis.call('XLEN', KEYS[1])
  for i = 1, #info, 2 do if info[i] == 'entries-added' then added = info[i + 1] end end
  redis.call('HSET', KEYS[2], 'buffered', redis.call('XLEN', KEYS[1]), 'added', added)
end
`;

/** Appends one pack (ARGV 1, of ARGV 2 windows), then drops the oldest entries while the rest still hold ARGV 3 windows. */
const APPEND = `${COUNTS_INIT}${TRIM_PACKS_LUA}
initCounts()
redis.call('XADD', KEYS[1], '*', 'p', ARGV[1], 'n', ARGV[2])
redis.call('HINCRBY', KEYS[2], 'added', ARGV[2])
local buffered = redis.call('HINCRBY', KEYS[2], 'buffered', ARGV[2])
return trimPacks(KEYS[1], KEYS[2], 'buffered', buffered, tonumber(ARGV[3]))
`;

const COUNTS = `${COUNTS_INIT}
initCounts()
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0} end
return redis.call('HMGET', KEYS[2], 'buffered', 'added')
`;

/** Stream entries read per XREVRANGE while collecting the newest windows. */
const READ_PAGE_ENTRIES = 16;

/**
 * The clean-window buffer: one capped Redis Stream per model group. Each entry is one packed batch
 * of encoded windows (field `p`, see clean-pack.ts, and `n`, its window count); the cap is in
 * windows: an append drops the oldest entries while the others still hold `maxLen` windows, so a
 * group holds between maxLen and maxLen plus one batch. Appends and trims are one Lua script, so
 * several scorers can append to one group.
 */
export class CleanBuffer {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Appends encoded windows to a group's stream as one entry; resolves when Redis acknowledged it. */
  async append(group: string, encodedWindows: readonly Uint8Array[], maxLen: number): Promise<void> {
    if (encodedWindows.length === 0) return;
    // A batch larger than the cap (a cold-start warm-up) keeps only its newest maxLen windows.
    const kept = encodedWindows.length > maxLen ? encodedWindows.slice(encodedWindows.length - maxLen) : encodedWindows;
    await this.appendPack(group, encodeCleanPack(kept), kept.length, maxLen);
  }

  /** Appends one pack of `count` windows (clean-pack.ts) as one entry; the caller keeps it within `maxLen`. */
  async appendPack(group: string, pack: Buffer, count: number, maxLen: number): Promise<void> {
    if (count === 0) return;
    await this.redis.eval(APPEND, 2, this.keys.buffer(group), countsKey(this.keys, group), pack, String(count), String(maxLen));
  }

  /** The newest `count` windows of a group, oldest first (the order a trainer splits by time). */
  async recent(group: string, count: number): Promise<Buffer[]> {
    const newestFirst: Buffer[] = [];
    let end = '+';
    while (newestFirst.length < count) {
      const entries = await this.redis.xrevrangeBuffer(this.keys.buffer(group), end, '-', 'COUNT', READ_PAGE_ENTRIES);
      for (const [, fields] of entries) {
        const items = entryWindows(fields);
        for (let i = items.length - 1; i >= 0 && newestFirst.length < count; i--) newestFirst.push(items[i]!);
      }
      if (entries.length < READ_PAGE_ENTRIES) break;
      end = `(${entries[entries.length - 1]![0].toString()}`;
    }
    return newestFirst.reverse();
  }

  /** Windows ever appended to a group's stream, trimmed ones included (0 once the stream is deleted). */
  async totalAdded(group: string): Promise<number> {
    return (await this.counts(group)).added;
  }

  /** When the oldest entry still in a group's stream was appended (from its stream id), or null when it is empty. */
  async oldestEntryMs(group: string): Promise<number | null> {
    const [first] = await this.redis.xrange(this.keys.buffer(group), '-', '+', 'COUNT', 1);
    return first ? Number(first[0].split('-')[0]) : null;
  }

  /** Number of windows buffered for a group. */
  async size(group: string): Promise<number> {
    return (await this.counts(group)).buffered;
  }

  private async counts(group: string): Promise<{ buffered: number; added: number }> {
    const [buffered, added] = (await this.redis.eval(COUNTS, 2, this.keys.buffer(group), countsKey(this.keys, group))) as [string | number | null, string | number | null];
    return { buffered: Number(buffered ?? 0), added: Number(added ?? 0) };
  }
}

function countsKey(keys: RedisKeys, group: string): string {
  return `${keys.buffer(group)}:count`;
}

/**
 * The windows of one entry: a pack (`p`), or one window (`w`, entries written before packs). A
 * pack that does not decode yields nothing: a corrupt entry cannot teach the trainer anything.
 */
function entryWindows(fields: Buffer[]): Buffer[] {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toString();
    if (name === 'p') {
      try {
        return decodeCleanPack(fields[i + 1]!);
      } catch {
        return [];
      }
    }
    if (name === 'w') return [fields[i + 1]!];
  }
  return [];
}
