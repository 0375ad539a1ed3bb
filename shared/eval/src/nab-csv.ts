import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';

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
  /** The file's 1-based line of each data row (blank lines are skipped, so not always row + 2). */
  readonly lines: readonly number[];
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
 * Parses NAB-style CSV text with csv-parse (comma separated, one header line; a BOM, CRLF and quoted
 * fields are read as RFC 4180 says) and checks that `required` columns exist and that every row has
 * exactly as many cells as the header. Blank lines are skipped; line numbers stay those of the file.
 */
export function parseNabCsv(text: string, source: string, required: readonly string[] = ['timestamp']): NabTable {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // With `info`, each record comes as { record, info }; csv-parse's typings know only the plain form.
    records = parse(text, { bom: true, info: true, skip_empty_lines: true, relax_column_count: true }) as unknown as typeof records;
  } catch (error) {
    // csv-parse's errors carry the line where parsing stopped (an unclosed quote, say).
    const e = error as { lines?: number; message?: string };
    throw new NabCsvError(source, e.lines, e.message ?? String(error));
  }
  const first = records[0];
  if (first === undefined || first.record.every((h) => h.trim() === '')) throw new NabCsvError(source, 1, 'missing header line');
  const header = first.record.map((h) => h.trim());
  const seen = new Set<string>();
  for (const h of header) {
    if (h === '') throw new NabCsvError(source, first.info.lines, 'empty column name in header');
    if (seen.has(h)) throw new NabCsvError(source, first.info.lines, `duplicate column "${h}"`);
    seen.add(h);
  }
  for (const r of required) {
    if (!seen.has(r)) throw new NabCsvError(source, first.info.lines, `missing required column "${r}" (header: ${header.join(',')})`);
  }
  const cells: string[][] = header.map(() => []);
  const lines: number[] = [];
  for (const { record, info } of records.slice(1)) {
    if (record.length !== header.length) throw new NabCsvError(source, info.lines, `expected ${header.length} fields, found ${record.length}`);
    record.forEach((cell, c) => (cells[c] as string[]).push(cell));
    lines.push(info.lines);
  }
  const columns = new Map<string, readonly string[]>();
  header.forEach((h, c) => columns.set(h, cells[c] as string[]));
  const timestamps = columns.get('timestamp') ?? [];
  return { source, header, columns, timestamps, lines, length: lines.length };
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
      throw new NabCsvError(table.source, table.lines[i], `column "${name}" has non-numeric value "${col[i] as string}"`);
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
