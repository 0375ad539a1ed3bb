import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { HourglassError, parsePoint, type DemoPoint, type ParseConfig, type ParseResult } from '@hourglass/core';

/** One input record, parsed by the same parser the ingest service uses for Kafka messages. */
export interface InputRecord {
  readonly line: number;
  readonly result: ParseResult;
}

/**
 * Reads CSV (with a header) or NDJSON (the input topic's JSON shape) line by line. CSV columns map
 * onto the JSON shape: `series`, a timestamp column (`ts` or `timestamp`), `value`, or any other
 * numeric columns as the channels of one multivariate point. Every row goes through `parsePoint`,
 * so embedded mode accepts and refuses exactly what Kafka ingest does.
 */
export async function* readInput(stream: Readable, format: 'csv' | 'ndjson', parse: ParseConfig, defaultSeries: string): AsyncGenerator<InputRecord> {
  for await (const { line, message } of readMessages(stream, format)) {
    yield { line, result: parsePoint(Buffer.from(message), Buffer.from(defaultSeries), parse) };
  }
}

/**
 * The input's lines as input-topic messages (JSON text), before any parsing: NDJSON lines as they
 * are, CSV rows mapped onto the JSON shape. `hourglass produce` sends exactly these to Kafka.
 */
export async function* readMessages(stream: Readable, format: 'csv' | 'ndjson'): AsyncGenerator<{ line: number; message: string }> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let header: string[] | undefined;
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    if (format === 'ndjson') {
      yield { line, message: text };
      continue;
    }
    if (!header) {
      header = text.split(',').map((h) => h.trim());
      if (!header.some((h) => h === 'ts' || h === 'timestamp')) throw new HourglassError('INPUT_INVALID', `CSV header on line ${line} needs a 'ts' or 'timestamp' column; it has: ${header.join(', ')}`);
      continue;
    }
    yield { line, message: JSON.stringify(csvRowToMessage(header, text.split(','))) };
  }
}

function csvRowToMessage(header: readonly string[], cells: readonly string[]): Record<string, unknown> {
  const message: Record<string, unknown> = {};
  const channels: Record<string, unknown> = {};
  header.forEach((name, i) => {
    const cell = (cells[i] ?? '').trim();
    if (name === 'series') message.series = cell;
    else if (name === 'ts' || name === 'timestamp') message.ts = /^-?\d+(\.\d+)?$/.test(cell) ? Number(cell) : cell;
    else channels[name] = cell === '' ? null : Number(cell);
  });
  const names = Object.keys(channels);
  if (names.length === 1 && names[0] === 'value') message.value = channels.value;
  else message.values = channels;
  return message;
}

/** Opens `--input`: a path, or `-` for stdin. The format follows the extension (.csv, else NDJSON). */
export function openInput(path: string): { stream: Readable; format: 'csv' | 'ndjson' } {
  const format = path.toLowerCase().endsWith('.csv') ? 'csv' : 'ndjson';
  if (path === '-') return { stream: process.stdin, format: 'ndjson' };
  const stream = createReadStream(path);
  return { stream, format };
}

/** The demo's points as the input topic's JSON would carry them, through the same parser. */
export function* demoRecords(points: readonly DemoPoint[], parse: ParseConfig): Generator<InputRecord> {
  let line = 0;
  for (const point of points) yield { line: ++line, result: parsePoint(Buffer.from(JSON.stringify(point)), null, parse) };
}
