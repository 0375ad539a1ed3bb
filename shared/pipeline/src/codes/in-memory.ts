import type { EpisodeCode } from '@hourglass/core';
import type { CodeStore } from './ports';

/** The code store in process memory (tests; embedded mode without a folder), capped per group like the others. */
export class InMemoryCodeStore implements CodeStore {
  readonly logs = new Map<string, { seq: number; record: EpisodeCode }[]>();
  private seq = 0;

  constructor(private readonly maxPerGroup = Infinity) {}

  async append(group: string, records: readonly EpisodeCode[]): Promise<void> {
    const log = this.logs.get(group) ?? [];
    for (const record of records) log.push({ seq: ++this.seq, record });
    if (log.length > this.maxPerGroup) log.splice(0, log.length - this.maxPerGroup);
    this.logs.set(group, log);
  }

  async read(group: string, cursor: string | null): Promise<{ records: EpisodeCode[]; cursor: string | null }> {
    const after = cursor === null ? 0 : Number(cursor);
    const entries = (this.logs.get(group) ?? []).filter((e) => e.seq > after);
    return { records: entries.map((e) => e.record), cursor: entries.length > 0 ? String(entries.at(-1)!.seq) : cursor };
  }
}
