import { readFile, rename, writeFile } from 'node:fs/promises';

/**
 * The files of embedded mode's folder: append-only NDJSON logs, and whole files replaced through a
 * temporary one renamed over them, so a reader never sees a half-written file.
 */

/** Writes `data` to a temporary file beside `path`, then renames it over `path`. */
export async function atomicWrite(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}

/** The non-blank lines of a file; none when it does not exist. */
export async function readLines(file: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * The newest `max` lines of a capped log; once the file holds twice that many it is rewritten to
 * those (atomically), so an appended log stays about its cap without a rewrite per append.
 */
export async function readNewestLines(file: string, max: number): Promise<string[]> {
  const lines = await readLines(file);
  const kept = lines.slice(-max);
  if (lines.length > 2 * max) await atomicWrite(file, `${kept.join('\n')}\n`);
  return kept;
}

/** Each line parsed; a line that does not parse (the torn last line of a killed run) is skipped. */
export function parseLines<T>(lines: readonly string[], parse: (line: string) => T): T[] {
  const out: T[] = [];
  for (const line of lines) {
    try {
      out.push(parse(line));
    } catch {
      // torn or foreign line: skipped
    }
  }
  return out;
}
