import type { Redis } from 'ioredis';
import type { EpisodeCode } from '@hourglass/core';
import type { RedisKeys } from './keys';

/** Entries read per XRANGE call: a group's whole log (at most `similar.maxCodesPerGroup`) comes in a few calls. */
const PAGE = 2000;

/**
 * The codes of episodes in Redis: one capped stream per model group (`hourglass:codes:<group>`,
 * `MAXLEN ~ maxPerGroup`), each entry one record as JSON under field `r`. A newer record of an
 * episode is a new entry; readers keep the newest per episode. Every scorer reads the whole
 * stream once, then the entries after the last id it saw, so codes stored by other scorers reach it.
 */
export class RedisCodeStore {
  constructor(private readonly redis: Redis, private readonly keys: RedisKeys, private readonly maxPerGroup: number) {}

  async append(group: string, records: readonly EpisodeCode[]): Promise<void> {
    if (records.length === 0) return;
    const pipeline = this.redis.pipeline();
    const key = this.keys.codes(group);
    for (const record of records) pipeline.xadd(key, 'MAXLEN', '~', String(this.maxPerGroup), '*', 'r', JSON.stringify(record));
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  async read(group: string, cursor: string | null): Promise<{ records: EpisodeCode[]; cursor: string | null }> {
    const key = this.keys.codes(group);
    const records: EpisodeCode[] = [];
    let after = cursor;
    for (;;) {
      const entries = await this.redis.xrange(key, after === null ? '-' : `(${after}`, '+', 'COUNT', PAGE);
      for (const [id, fields] of entries) {
        after = id;
        const at = fields.findIndex((f, i) => i % 2 === 0 && f === 'r');
        if (at < 0) continue;
        try {
          records.push(JSON.parse(fields[at + 1]!) as EpisodeCode);
        } catch {
          // A corrupt entry describes no episode; the rest still do.
        }
      }
      if (entries.length < PAGE) return { records, cursor: after };
    }
  }
}
