import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EpisodeCode } from '@hourglass/core';
import type { CodeStore } from '../codes/ports';
import { parseLines, readNewestLines } from './ndjson-file';

/**
 * The code store of embedded mode: one NDJSON file per model group in a folder (`<state-dir>/codes`),
 * one record per line, appended. Reading keeps the newest `maxPerGroup` lines, and rewrites the
 * file (to a temporary one, renamed) once it holds twice that many. One process owns the folder, so
 * only the first read returns anything: later ones would find only what this process wrote.
 */
export class DiskCodeStore implements CodeStore {
  constructor(private readonly dir: string, private readonly maxPerGroup: number) {}

  async append(group: string, records: readonly EpisodeCode[]): Promise<void> {
    if (records.length === 0) return;
    await mkdir(this.dir, { recursive: true });
    await appendFile(this.file(group), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  async read(group: string, cursor: string | null): Promise<{ records: EpisodeCode[]; cursor: string | null }> {
    if (cursor !== null) return { records: [], cursor }; // nobody else writes this folder
    const records = parseLines(await readNewestLines(this.file(group), this.maxPerGroup), (line) => JSON.parse(line) as EpisodeCode);
    return { records, cursor: 'end' };
  }

  private file(group: string): string {
    return join(this.dir, `${group}.ndjson`);
  }
}
