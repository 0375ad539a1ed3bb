import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { HourglassError, parseTimestampText, type ParseConfig } from '@hourglass/core';

/** A CSV record as an input-topic message (JSON text), or why it could not be read as one. */
export type CsvMessage = { readonly line: number; readonly message: string } | { readonly line: number; readonly refused: string };

/** How a CSV file is read. */
export interface CsvInputOptions {
  /** One character; `,` unless `--delimiter` says otherwise. */
  readonly delimiter: string;
  /** The field names of the messages built (the parser's, so parsePoint finds them). */
  readonly fields: Pick<ParseConfig, 'seriesField' | 'timestampField' | 'valueField' | 'valuesField'>;
  /** Told once how the columns were read: from the header, or guessed from a first row of data. */
  readonly onColumns?: (columns: CsvColumns) => void;
}

/** Which column holds what. `values` keeps file order; a single column named like the value field is univariate. */
export interface CsvColumns {
  readonly header: boolean;
  readonly timestamp: number;
  readonly series: number | undefined;
  readonly values: readonly { readonly index: number; readonly name: string }[];
  readonly names: readonly string[];
}

const DECIMAL = /^-?\d+(\.\d+)?$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Streams CSV rows as input-topic messages through csv-parse, which reads what spreadsheets write:
 * a UTF-8 BOM, CRLF or LF, quoted fields (with delimiters, quotes and newlines inside), any one
 * delimiter. Line numbers are the file's (the line a record ends on). A row that csv-parse cannot
 * read is refused and reading goes on; a header that cannot be mapped stops the run, since every
 * row after it would be refused for the same reason.
 */
export async function* readCsvMessages(stream: Readable, options: CsvInputOptions): AsyncGenerator<CsvMessage> {
  const skipped: CsvMessage[] = [];
  const parser = stream.pipe(parse({
    delimiter: options.delimiter, bom: true, info: true, trim: true, skip_empty_lines: true,
    // Row lengths are checked against the header below, so the message can say which row and why.
    relax_column_count: true,
    // A stray quote inside a field (`5"`) is kept as text, and then refused as not a number.
    relax_quotes: true,
    skip_records_with_error: true,
    on_skip: (error) => {
      if (error) skipped.push({ line: Number(error.lines), refused: `unreadable CSV: ${error.message}` });
    },
  }));
  stream.on('error', (error) => parser.destroy(error));
  let columns: CsvColumns | undefined;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    yield* skipped.splice(0);
    if (!columns) {
      columns = readColumns(record, info.lines, options);
      options.onColumns?.(columns);
      if (columns.header) continue;
    }
    if (record.length !== columns.names.length) {
      yield { line: info.lines, refused: `${record.length} fields where the ${columns.header ? 'header' : 'first row'} has ${columns.names.length} (delimiter '${options.delimiter}')` };
      continue;
    }
    yield { line: info.lines, message: JSON.stringify(toMessage(record, columns, options.fields)) };
  }
  yield* skipped.splice(0);
}

/** The columns, from a header when the first row is one, else guessed from that row of data. */
function readColumns(first: readonly string[], line: number, options: CsvInputOptions): CsvColumns {
  const { fields } = options;
  // The names exports use for the time column; the parser's own field name too.
  const isTimestampName = (name: string) => ['ts', 'timestamp', 'time', 'date', 'datetime', fields.timestampField.toLowerCase()].includes(name.toLowerCase());
  const isSeriesName = (name: string) => ['series', fields.seriesField.toLowerCase()].includes(name.toLowerCase());
  // A first row is data when it has a timestamp and no column name the reader knows.
  const header = first.some(isTimestampName) || !first.some(isTimestampCell);
  if (!header) return guessColumns(first, fields);
  const hint = first.length === 1 && /[;\t|]/.test(first[0]!) ? ` (is the delimiter '${/[;\t|]/.exec(first[0]!)![0].replace('\t', '\\t')}'? give --delimiter)` : '';
  const timestamp = first.findIndex(isTimestampName);
  if (timestamp < 0) throw new HourglassError('INPUT_INVALID', `CSV header on line ${line} needs a 'ts' or 'timestamp' column; it has: ${first.join(', ')}${hint}`);
  first.forEach((name, i) => {
    if (name === '') throw new HourglassError('INPUT_INVALID', `CSV header on line ${line}: column ${i + 1} has no name`);
    if (first.indexOf(name) !== i) throw new HourglassError('INPUT_INVALID', `CSV header on line ${line}: column '${name}' appears twice`);
  });
  const series = first.findIndex(isSeriesName);
  const values = first.flatMap((name, index) => (index === timestamp || index === series ? [] : [{ index, name }]));
  return { header: true, timestamp, series: series < 0 ? undefined : series, values, names: first };
}

/**
 * Columns of a header-less file, from its first row: the first timestamp-like cell (ISO text before
 * epoch digits) is the time, the first other cell that is not a number is the series, the rest are
 * values: `value` when there is one, else channels `value1`, `value2`, ...
 */
function guessColumns(first: readonly string[], fields: CsvInputOptions['fields']): CsvColumns {
  const iso = first.findIndex((c) => !DECIMAL.test(c) && parseTimestampText(c, 'UTC') !== undefined);
  const timestamp = iso >= 0 ? iso : first.findIndex((c) => DECIMAL.test(c));
  const seriesAt = first.findIndex((c, i) => i !== timestamp && !NUMBER.test(c));
  const series = seriesAt < 0 ? undefined : seriesAt;
  const rest = first.flatMap((_, index) => (index === timestamp || index === series ? [] : [index]));
  const values = rest.map((index, k) => ({ index, name: rest.length === 1 ? fields.valueField : `value${k + 1}` }));
  const names = first.map((_, i) => (i === timestamp ? fields.timestampField : i === series ? fields.seriesField : values.find((v) => v.index === i)!.name));
  return { header: false, timestamp, series, values, names };
}

function isTimestampCell(cell: string): boolean {
  return DECIMAL.test(cell) || parseTimestampText(cell, 'UTC') !== undefined;
}

/** A row in the input topic's JSON shape; cells that are not numbers stay text, so parsePoint says what is wrong. */
function toMessage(cells: readonly string[], columns: CsvColumns, fields: CsvInputOptions['fields']): Record<string, unknown> {
  const ts = cells[columns.timestamp]!;
  const message: Record<string, unknown> = { [fields.timestampField]: DECIMAL.test(ts) ? Number(ts) : ts };
  if (columns.series !== undefined) message[fields.seriesField] = cells[columns.series];
  const cell = (text: string): unknown => (text === '' ? null : NUMBER.test(text) && Number.isFinite(Number(text)) ? Number(text) : text);
  const only = columns.values.length === 1 ? columns.values[0]! : undefined;
  if (only && only.name.toLowerCase() === fields.valueField.toLowerCase()) message[fields.valueField] = cell(cells[only.index]!);
  else message[fields.valuesField] = Object.fromEntries(columns.values.map((v) => [v.name, cell(cells[v.index]!)]));
  return message;
}
