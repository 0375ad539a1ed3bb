import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { windowsToRows, type TimestampWindow } from '@hourglass/eval';

/** One NAB data file found under a data directory. */
export interface NabDataFile {
  /** NAB's key: `<category>/<file>.csv`, as in the labels file. */
  readonly key: string;
  readonly category: string;
  /** File name without `.csv`. */
  readonly name: string;
  readonly path: string;
}

/** Every `<category>/<file>.csv` under a NAB `data/` directory, sorted by key. */
export async function listNabDataFiles(dataDir: string): Promise<NabDataFile[]> {
  const out: NabDataFile[] = [];
  const categories = await readdir(dataDir, { withFileTypes: true });
  for (const cat of categories.filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    const entries = await readdir(join(dataDir, cat), { withFileTypes: true });
    for (const e of entries.filter((x) => x.isFile() && x.name.endsWith('.csv')).map((x) => x.name).sort()) {
      out.push({ key: `${cat}/${e}`, category: cat, name: e.slice(0, -4), path: join(dataDir, cat, e) });
    }
  }
  return out;
}

/** NAB's `YYYY-MM-DD HH:MM:SS` (optionally with fractional seconds) as UTC epoch ms; NaN if malformed. */
export function parseNabTimestamp(ts: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(ts.trim());
  if (!m) return Number.NaN;
  const seconds = Number(m[6]);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Math.floor(seconds)) + Math.round((seconds % 1) * 1000);
}

/** NAB's `label` column: 1 for rows inside a labelled window (inclusive edges), else 0. */
export function labelRows(timestamps: readonly string[], windows: readonly TimestampWindow[], source: string): Uint8Array {
  const labels = new Uint8Array(timestamps.length);
  for (const w of windowsToRows(timestamps, windows, source)) labels.fill(1, w.start, w.end + 1);
  return labels;
}

/** Path of a result file in NAB's layout: `<out>/<detector>/<category>/<detector>_<file>.csv`. */
export function resultPath(outDir: string, detector: string, category: string, name: string): string {
  return join(outDir, detector, category, `${detector}_${name}.csv`);
}

/** Formats a number for a result CSV: shortest round-trip text, so the scorer reads back the same double. */
function num(x: number): string {
  return Number.isFinite(x) ? String(x) : '0';
}

/**
 * The text of a NAB result file: `timestamp,value,anomaly_score,label`, one line per data row.
 * Scores must be in [0, 1] (checked: a detector bug must not reach the scorer silently).
 */
export function formatResultCsv(timestamps: readonly string[], values: ArrayLike<number> | readonly string[], scores: ArrayLike<number>, labels: ArrayLike<number>): string {
  const n = timestamps.length;
  if (values.length !== n || scores.length !== n || labels.length !== n) throw new Error(`result columns differ in length (${n}, ${values.length}, ${scores.length}, ${labels.length})`);
  const lines = ['timestamp,value,anomaly_score,label'];
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    if (!(s >= 0 && s <= 1)) throw new Error(`row ${i}: anomaly_score ${s} is not in [0, 1]`);
    const v = values[i]!;
    lines.push(`${timestamps[i]},${typeof v === 'string' ? v : num(v)},${num(s)},${labels[i] ? 1 : 0}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Writes a result file (creating its folders). */
export async function writeResultFile(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}
