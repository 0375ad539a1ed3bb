import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigSchema, type ParseConfig } from '@hourglass/core';
import { openInput, readInput, type InputRecord } from './inputs';

const cli = join(__dirname, '..', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'hourglass-inputs-'));
const parse = parseConfigSchema.parse({});

// Two series, one whose id holds the delimiter, a minute apart for 4 hours: enough for windows.
const START = Date.UTC(2024, 0, 1);
const rows = Array.from({ length: 480 }, (_, i) => ({
  series: i % 2 === 0 ? 'db-1,eu' : 'web "a"',
  ms: START + Math.floor(i / 2) * 60_000,
  value: Math.round(1000 * (10 + Math.sin(i / 9))) / 1000,
}));
const zoneless = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
const quote = (cell: string) => `"${cell.replace(/"/g, '""')}"`;
/** RFC 4180: quote a cell only when it holds the delimiter, a quote or a newline. */
const cellFor = (delimiter: string) => (cell: string) => (cell.includes(delimiter) || cell.includes('"') ? quote(cell) : cell);

/** The same points in every shape a spreadsheet or database export writes, and as NDJSON (the reference). */
function writeVariants(): Record<string, { file: string; args: string[] }> {
  const csv = (delimiter: string, eol: string, ts: (ms: number) => string, cell: (c: string) => string, bom = '') =>
    bom + [['series', 'ts', 'value'], ...rows.map((r) => [r.series, ts(r.ms), String(r.value)])].map((cells) => cells.map(cell).join(delimiter)).join(eol) + eol;
  const files: Record<string, { text: string; args: string[]; name: string }> = {
    ndjson: { name: 'points.ndjson', text: rows.map((r) => JSON.stringify({ series: r.series, ts: r.ms, value: r.value })).join('\n') + '\n', args: [] },
    plain: { name: 'plain.csv', text: csv(',', '\n', (ms) => new Date(ms).toISOString(), cellFor(',')), args: [] },
    quoted: { name: 'quoted.csv', text: csv(',', '\n', zoneless, quote), args: [] },
    bom: { name: 'bom.csv', text: csv(',', '\n', zoneless, cellFor(','), '\ufeff'), args: [] },
    crlf: { name: 'crlf.csv', text: csv(',', '\r\n', (ms) => String(ms), cellFor(',')), args: [] },
    semicolon: { name: 'semicolon.csv', text: csv(';', '\r\n', zoneless, cellFor(';'), '\ufeff'), args: ['--delimiter', ';'] },
    tsv: { name: 'tabs.tsv', text: csv('\t', '\n', zoneless, cellFor('\t')), args: [] },
    berlin: { name: 'berlin.csv', text: csv(',', '\n', (ms) => zoneless(ms + 3_600_000), cellFor(',')), args: ['--timezone', 'Europe/Berlin'] },
  };
  return Object.fromEntries(Object.entries(files).map(([k, f]) => {
    writeFileSync(join(dir, f.name), f.text);
    return [k, { file: join(dir, f.name), args: f.args }];
  }));
}
const variants = writeVariants();

async function points(file: string, options: { delimiter?: string; parse?: ParseConfig } = {}): Promise<InputRecord[]> {
  const { stream, input } = openInput(file, options.delimiter);
  const out: InputRecord[] = [];
  for await (const r of readInput(stream, input, options.parse ?? parse, 'default')) out.push(r);
  return out;
}

test('readInput: quoted, BOM, CRLF, semicolon, tab and zone-less CSVs give exactly the NDJSON points', async () => {
  const reference = (await points(variants.ndjson!.file)).map((r) => r.result);
  assert.equal(reference.length, rows.length);
  assert.ok(reference.every((r) => r.ok));
  for (const [name, v] of Object.entries(variants)) {
    const delimiter = v.args[0] === '--delimiter' ? v.args[1] : undefined;
    const zone = v.args[0] === '--timezone' ? parseConfigSchema.parse({ timezone: v.args[1] }) : undefined;
    const got = await points(v.file, { ...(delimiter ? { delimiter } : {}), ...(zone ? { parse: zone } : {}) });
    assert.deepEqual(got.map((r) => r.result), reference, name);
    if (name !== 'ndjson') assert.deepEqual(got.map((r) => r.line), rows.map((_, i) => i + 2), `${name}: line numbers are the file's`);
  }
});

test('readInput: a header-less file is read from its first row, and a refused row keeps its line number', async () => {
  const file = join(dir, 'no-header.csv');
  writeFileSync(file, 'db-1,2014-07-01 00:00:00,1.5\ndb-1,2014-07-01 00:05:00,2.5\n\ndb-1,2014-07-01 00:10:00,"3,5"\ndb-1,2014-07-01 00:15:00,4,9\n');
  const got = await points(file);
  assert.deepEqual(got[0]!.result, { ok: true, point: { series: 'db-1', timestampMs: Date.UTC(2014, 6, 1), channels: ['value'], values: [1.5] } });
  assert.equal(got[1]!.result.ok, true);
  assert.deepEqual([got[2]!.line, got[2]!.result.ok ? '' : got[2]!.result.reason], [4, 'missing_value'], 'a decimal comma is not a number');
  assert.deepEqual([got[3]!.line, got[3]!.result.ok ? '' : got[3]!.result.reason], [5, 'unreadable_csv'], 'a row longer than the first');
});

test('readInput: a header without a time column stops with its line, and hints at the delimiter', async () => {
  const file = join(dir, 'semi-no-flag.csv');
  writeFileSync(file, 'ts;value\n2014-07-01 00:00:00;1\n');
  await assert.rejects(points(file), /CSV header on line 1 needs a 'ts' or 'timestamp' column; it has: ts;value \(is the delimiter ';'\? give --delimiter\)/);
});

function run(file: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [cli, 'run', '--input', file, '--state-dir', mkdtempSync(join(dir, 'state-')), '--json', ...args], { encoding: 'utf8', env: { ...process.env, HOURGLASS_REQUIRE_NATIVE: '' } });
  return { ...result, summary: result.status === 0 ? (JSON.parse(result.stdout.trim().split('\n').pop()!) as Record<string, unknown>) : undefined };
}

test('hourglass run: every CSV variant gives the same points, series and windows as the NDJSON file', () => {
  const pick = (s: Record<string, unknown> | undefined) => s && { points: s.points, rejected: s.rejected, series: s.series, windows: s.windows };
  const reference = run(variants.ndjson!.file);
  assert.equal(reference.status, 0, reference.stderr);
  assert.deepEqual(pick(reference.summary), { points: rows.length, rejected: 0, series: 2, windows: reference.summary!.windows });
  assert.ok((reference.summary!.windows as number) > 0, 'the run made windows');
  for (const [name, v] of Object.entries(variants)) {
    const got = run(v.file, ...v.args);
    assert.equal(got.status, 0, `${name}: ${got.stderr}`);
    assert.deepEqual(pick(got.summary), pick(reference.summary), name);
  }
});

test('hourglass run: a file of garbage stops with one error line that names a line and the formats accepted', () => {
  const file = join(dir, 'garbage.csv');
  writeFileSync(file, `ts,value\n${Array.from({ length: 300 }, (_, i) => `07/01/2014 ${i % 24}:00,${i}`).join('\n')}\n`);
  const got = run(file);
  assert.equal(got.status, 1);
  const lines = got.stderr.trim().split('\n');
  assert.equal(lines.length, 1, got.stderr);
  assert.match(lines[0]!, /^hourglass: .*garbage\.csv: 100 of the first 100 lines were refused, so the run stopped\. Line 2: bad_timestamp .*Timestamps accepted: .*2024-01-02 03:04:05/);
});

test('hourglass run: refusals are logged for the first five lines, then counted once', () => {
  const file = join(dir, 'some-bad.csv');
  const body = Array.from({ length: 200 }, (_, i) => `${zoneless(START + i * 60_000)},${i % 20 === 0 ? 'n/a' : i}`);
  writeFileSync(file, `ts,value\n${body.join('\n')}\n`);
  const result = spawnSync(process.execPath, [cli, 'run', '--input', file, '--state-dir', mkdtempSync(join(dir, 'state-'))], { encoding: 'utf8', env: { ...process.env, HOURGLASS_REQUIRE_NATIVE: '' } });
  assert.equal(result.status, 0, result.stderr);
  const refusedLines = result.stderr.split('\n').filter((l) => l.includes('"input line refused"'));
  assert.deepEqual(refusedLines.map((l) => (JSON.parse(l) as { line: number }).line), [2, 22, 42, 62, 82]);
  assert.match(result.stderr, /"refused":10,.*5 more input lines refused/);
  assert.match(result.stderr, /refused points: 10\./);
});
