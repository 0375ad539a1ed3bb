import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys';

/**
 * The clean-window buffer: one capped Redis Stream per model group. Entries hold the encoded
 * window under field `w`. Trimming is approximate (`MAXLEN ~`), which Redis does cheaply.
 */
export class CleanBuffer {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Appends encoded windows to a group's stream in one pipeline; resolves when Redis acknowledged all. */
  async append(group: string, encodedWindows: readonly Uint8Array[], maxLen: number): Promise<void> {
    if (encodedWindows.length === 0) return;
    const pipeline = this.redis.pipeline();
    const key = this.keys.buffer(group);
    for (const window of encodedWindows) pipeline.xadd(key, 'MAXLEN', '~', String(maxLen), '*', 'w', Buffer.from(window.buffer, window.byteOffset, window.byteLength));
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  /** The newest `count` windows of a group, oldest first (the order a trainer splits by time). */
  async recent(group: string, count: number): Promise<Buffer[]> {
    const entries = await this.redis.xrevrangeBuffer(this.keys.buffer(group), '+', '-', 'COUNT', count);
    const windows: Buffer[] = [];
    for (const [, fields] of entries) {
      const at = fields.findIndex((f, i) => i % 2 === 0 && f.toString() === 'w');
      if (at >= 0 && fields[at + 1]) windows.push(fields[at + 1]!);
    }
    return windows.reverse();
  }

  /** Windows ever appended to a group's stream (Redis 7 `entries-added`), trimmed ones included. */
  async totalAdded(group: string): Promise<number> {
    try {
      const info = (await this.redis.call('XINFO', 'STREAM', this.keys.buffer(group))) as unknown[];
      const at = info.findIndex((v) => String(v) === 'entries-added');
      return at >= 0 ? Number(info[at + 1]) : await this.size(group);
    } catch (error) {
      if (String(error).includes('no such key')) return 0;
      throw error;
    }
  }

  /** When the oldest entry still in a group's stream was appended (from its stream id), or null when it is empty. */
  async oldestEntryMs(group: string): Promise<number | null> {
    const [first] = await this.redis.xrange(this.keys.buffer(group), '-', '+', 'COUNT', 1);
    return first ? Number(first[0].split('-')[0]) : null;
  }

  /** Number of windows buffered for a group. */
  size(group: string): Promise<number> {
    return this.redis.xlen(this.keys.buffer(group));
  }
}
