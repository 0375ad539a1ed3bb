import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/**
 * A parsed NAB CSV (data or detector result). The typed fields are the ones scoring needs; every column,
 * including extras such as `raw_score` and `S(t)_<profile>`, stays reachable through `columns`.
 */
export interface NabTable {
  /** Where the table came from; used in every error message so a bad row can be found. */
  readonly source: string;
  /** Column names in file order. */
  readonly header: readonly string[];
  /** Raw cell text per column name, one entry per data row (row 0 is the line after the header). */
  readonly columns: ReadonlyMap<string, readonly string[]>;
  /** The `timestamp` column, verbatim. */
  readonly timestamps: readonly string[];
  /** Number of data rows. */
  readonly length: number;
}

/** A NAB detector result file: the data plus the detector's `anomaly_score` for each row. */
export interface NabResultTable extends NabTable {
  /** `anomaly_score` per row, parsed and checked finite, because scoring compares it to thresholds. */
  readonly anomalyScores: Float64Array;
}

/** Thrown for any malformed CSV; the message names the file and the 1-based line so it can be fixed. */
export class NabCsvError extends Error {
  override readonly name = 'NabCsvError';
  constructor(
    readonly source: string,
    readonly line: number | undefined,
    detail: string,
  ) {
    super(`${source}${line === undefined ? '' : `:${line}`}: ${detail}`);
  }
}

/**
 * Parses NAB-style CSV text (comma separated, one header line, no quoting; NAB never quotes) and checks
 * that `required` columns exist and that every row has exactly as many cells as the header.
 */
export function parseNabCsv(text: string, source: string, required: readonly string[] = ['timestamp']): NabTable {
  const lines = text.split(/\r?\n/);
  // A trailing newline leaves one empty last element; that is not a row.
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const headerLine = lines[0];
  if (headerLine === undefined || headerLine.trim() === '') throw new NabCsvError(source, 1, 'missing header line');
  const header = headerLine.split(',').map((h) => h.trim());
  const seen = new Set<string>();
  for (const h of header) {
    if (h === '') throw new NabCsvError(source, 1, 'empty column name in header');
    if (seen.has(h)) throw new NabCsvError(source, 1, `duplicate column "${h}"`);
    seen.add(h);
  }
  for (const r of required) {
    if (!seen.has(r)) throw new NabCsvError(source, 1, `missing required column "${r}" (header: ${header.join(',')})`);
  }
  const cells: string[][] = header.map(() => []);
  for (let li = 1; li < lines.length; li++) {
    const line = lines[li] as string;
    if (line.includes('"')) throw new NabCsvError(source, li + 1, 'quoted fields are not supported in NAB CSVs');
    const parts = line.split(',');
    if (parts.length !== header.length) {
      throw new NabCsvError(source, li + 1, `expected ${header.length} fields, found ${parts.length}`);
    }
    for (let c = 0; c < parts.length; c++) (cells[c] as string[]).push(parts[c] as string);
  }
  const columns = new Map<string, readonly string[]>();
  header.forEach((h, c) => columns.set(h, cells[c] as string[]));
  const timestamps = columns.get('timestamp') ?? [];
  return { source, header, columns, timestamps, length: lines.length - 1 };
}

/**
 * Parses one column as finite numbers. Throws NabCsvError naming the file, line and column for an empty
 * or non-numeric cell, because silently reading NaN would corrupt every score after it.
 */
export function numericColumn(table: NabTable, name: string): Float64Array {
  const col = table.columns.get(name);
  if (col === undefined) throw new NabCsvError(table.source, undefined, `no column "${name}"`);
  const out = new Float64Array(col.length);
  for (let i = 0; i < col.length; i++) {
    const cell = (col[i] as string).trim();
    const v = cell === '' ? NaN : Number(cell);
    if (!Number.isFinite(v)) {
      throw new NabCsvError(table.source, i + 2, `column "${name}" has non-numeric value "${col[i] as string}"`);
    }
    out[i] = v;
  }
  return out;
}

/** Turns a parsed table into a result table, parsing `anomaly_score` (which must be present). */
export function toResultTable(table: NabTable): NabResultTable {
  if (!table.columns.has('anomaly_score')) {
    throw new NabCsvError(table.source, 1, 'missing required column "anomaly_score"');
  }
  return { ...table, anomalyScores: numericColumn(table, 'anomaly_score') };
}

/** Reads a NAB detector result CSV (`timestamp,value,anomaly_score,label[,…]`) from disk. */
export async function readNabResultFile(path: string): Promise<NabResultTable> {
  const text = await readFile(path, 'utf8');
  return toResultTable(parseNabCsv(text, path, ['timestamp', 'anomaly_score']));
}

/** Synchronous twin of readNabResultFile, for scripts and tests that do not want to await. */
export function readNabResultFileSync(path: string): NabResultTable {
  return toResultTable(parseNabCsv(readFileSync(path, 'utf8'), path, ['timestamp', 'anomaly_score']));
}

/** Reads a NAB data CSV (`timestamp,value`) from disk; detectors are fed from these. */
export async function readNabDataFile(path: string): Promise<NabTable> {
  return parseNabCsv(await readFile(path, 'utf8'), path, ['timestamp', 'value']);
}
