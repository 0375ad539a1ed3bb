import { readFile } from 'node:fs/promises';

/** An anomaly window as row indices into one file, both ends inclusive (NAB's windows are inclusive). */
export interface RowWindow {
  readonly start: number;
  readonly end: number;
}

/** Window limits as NAB's labels give them: inclusive `[start, end]` timestamps. */
export type TimestampWindow = readonly [string, string];

/** NAB's `combined_windows.json`: file key (`<category>/<file>.csv`) → its windows. */
export type NabWindowLabels = ReadonlyMap<string, readonly TimestampWindow[]>;

/** Thrown when labels do not line up with a file's rows; names the file and the offending timestamp. */
export class NabWindowError extends Error {
  override readonly name = 'NabWindowError';
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/;

/**
 * Canonical form of a NAB timestamp, so `2014-04-10 07:15:00.000000` (labels) equals
 * `2014-04-10 07:15:00` (data) as NAB's datetime parsing makes them; other strings are compared verbatim.
 */
export function canonicalTimestamp(ts: string): string {
  const m = TIMESTAMP.exec(ts.trim());
  if (m === null) return ts.trim();
  const frac = (m[3] ?? '').replace(/0+$/, '');
  return `${m[1] as string} ${m[2] as string}${frac === '' ? '' : `.${frac}`}`;
}

/**
 * Parses `combined_windows.json` text. Validates shape (object of arrays of `[start, end]` strings)
 * because a typo there would silently change what counts as an anomaly.
 */
export function parseWindowLabels(text: string, source: string): NabWindowLabels {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new NabWindowError(`${source}: invalid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new NabWindowError(`${source}: expected an object mapping file names to window lists`);
  }
  const out = new Map<string, TimestampWindow[]>();
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (!Array.isArray(value)) throw new NabWindowError(`${source}: "${key}" is not a list of windows`);
    const windows: TimestampWindow[] = [];
    value.forEach((w: unknown, i) => {
      if (!Array.isArray(w) || w.length !== 2 || typeof w[0] !== 'string' || typeof w[1] !== 'string') {
        throw new NabWindowError(`${source}: "${key}" window ${i} is not a [start, end] pair of timestamps`);
      }
      windows.push([w[0], w[1]]);
    });
    out.set(key, windows);
  }
  return out;
}

/** Reads and parses NAB's `combined_windows.json`. */
export async function readWindowLabels(path: string): Promise<NabWindowLabels> {
  return parseWindowLabels(await readFile(path, 'utf8'), path);
}

/**
 * Maps timestamp windows onto row indices of a file. Edges must equal a row's timestamp exactly (after
 * canonicalisation), windows must be ordered and disjoint: NAB's scoring silently misbehaves otherwise.
 */
export function windowsToRows(
  timestamps: readonly string[],
  windows: readonly TimestampWindow[],
  source: string,
): RowWindow[] {
  const rowOf = new Map<string, number>();
  timestamps.forEach((ts, i) => {
    const key = canonicalTimestamp(ts);
    if (!rowOf.has(key)) rowOf.set(key, i);
  });
  const find = (ts: string, what: string, w: number): number => {
    const row = rowOf.get(canonicalTimestamp(ts));
    if (row === undefined) {
      throw new NabWindowError(`${source}: window ${w} ${what} "${ts}" does not match any row's timestamp`);
    }
    return row;
  };
  const out: RowWindow[] = [];
  windows.forEach(([a, b], w) => {
    const start = find(a, 'start', w);
    const end = find(b, 'end', w);
    if (end < start) throw new NabWindowError(`${source}: window ${w} ends (row ${end}) before it starts (row ${start})`);
    const prev = out[out.length - 1];
    if (prev !== undefined && start <= prev.end) {
      throw new NabWindowError(`${source}: window ${w} (rows ${start}-${end}) overlaps or precedes window ${w - 1}`);
    }
    out.push({ start, end });
  });
  return out;
}
