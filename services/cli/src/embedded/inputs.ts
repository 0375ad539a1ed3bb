import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parsePoint, type DemoPoint, type ParseConfig, type ParseResult } from '@hourglass/core';
import { readCsvMessages, type CsvInputOptions, type CsvMessage } from './csv-input';

/** One input record: parsed by the same parser the ingest service uses, or refused before it (unreadable CSV). */
export interface InputRecord {
  readonly line: number;
  readonly result: ParseResult | { readonly ok: false; readonly reason: 'unreadable_csv'; readonly detail: string };
}

/** How the input is read: its format, and for CSV the delimiter and a hook told how columns were read. */
export interface InputFormat {
  readonly format: 'csv' | 'ndjson';
  readonly delimiter: string;
  readonly onColumns?: CsvInputOptions['onColumns'];
}

/**
 * Reads CSV or NDJSON (the input topic's JSON shape). CSV columns map onto the JSON shape (see
 * readCsvMessages). Every row goes through `parsePoint`, so embedded mode accepts and refuses
 * exactly what Kafka ingest does.
 */
export async function* readInput(stream: Readable, input: InputFormat, parse: ParseConfig, defaultSeries: string): AsyncGenerator<InputRecord> {
  for await (const m of readMessages(stream, input, parse)) {
    if ('refused' in m) yield { line: m.line, result: { ok: false, reason: 'unreadable_csv', detail: m.refused } };
    else yield { line: m.line, result: parsePoint(Buffer.from(m.message), Buffer.from(defaultSeries), parse) };
  }
}

/**
 * The input's records as input-topic messages (JSON text), before any parsing: NDJSON lines as they
 * are, CSV rows mapped onto the JSON shape with the parser's field names. `hourglass produce` sends
 * exactly these to Kafka.
 */
export async function* readMessages(stream: Readable, input: InputFormat, fields: CsvInputOptions['fields']): AsyncGenerator<CsvMessage> {
  if (input.format === 'csv') {
    yield* readCsvMessages(stream, { delimiter: input.delimiter, fields, ...(input.onColumns ? { onColumns: input.onColumns } : {}) });
    return;
  }
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    line++;
    if (text.trim() !== '') yield { line, message: text };
  }
}

/**
 * Opens `--input`: a path, or `-` for stdin (NDJSON). The format follows the extension: .csv and .tsv
 * are CSV (a .tsv's default delimiter is a tab), anything else NDJSON. `delimiter` overrides it.
 */
export function openInput(path: string, delimiter?: string): { stream: Readable; input: InputFormat } {
  if (path === '-') return { stream: process.stdin, input: { format: 'ndjson', delimiter: ',' } };
  const lower = path.toLowerCase();
  const format = lower.endsWith('.csv') || lower.endsWith('.tsv') ? 'csv' : 'ndjson';
  return { stream: createReadStream(path), input: { format, delimiter: delimiter ?? (lower.endsWith('.tsv') ? '\t' : ',') } };
}

/** The demo's points as the input topic's JSON would carry them, through the same parser. */
export function* demoRecords(points: readonly DemoPoint[], parse: ParseConfig): Generator<InputRecord> {
  let line = 0;
  for (const point of points) yield { line: ++line, result: parsePoint(Buffer.from(JSON.stringify(point)), null, parse) };
}
