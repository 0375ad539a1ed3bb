import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NabCsvError, numericColumn, parseNabCsv, toResultTable } from './nab-csv.js';

const RESULT = [
  'timestamp,value,anomaly_score,raw_score,label,S(t)_standard',
  '2014-04-01 00:00:00,1.5,0.25,1.0,0,0.0',
  '2014-04-01 00:05:00,2.5,0.75,0.5,1,-0.11',
  '',
].join('\n');

test('parses a result CSV and keeps extra columns reachable', () => {
  const t = toResultTable(parseNabCsv(RESULT, 'r.csv', ['timestamp', 'anomaly_score']));
  assert.equal(t.length, 2);
  assert.deepEqual([...t.anomalyScores], [0.25, 0.75]);
  assert.deepEqual(t.timestamps, ['2014-04-01 00:00:00', '2014-04-01 00:05:00']);
  assert.deepEqual([...numericColumn(t, 'S(t)_standard')], [0, -0.11]);
  assert.deepEqual(t.columns.get('raw_score'), ['1.0', '0.5']);
});

test('accepts CRLF line endings', () => {
  const t = parseNabCsv('timestamp,value\r\n2014-04-01 00:00:00,1\r\n', 'd.csv', ['timestamp', 'value']);
  assert.equal(t.length, 1);
  assert.deepEqual(t.columns.get('value'), ['1']);
});

test('a row with the wrong number of fields names the file and line', () => {
  const text = 'timestamp,value,anomaly_score\n2014-04-01 00:00:00,1,0.5\n2014-04-01 00:05:00,1\n';
  assert.throws(() => parseNabCsv(text, 'bad.csv'), (e: unknown) => {
    assert.ok(e instanceof NabCsvError);
    assert.equal(e.message, 'bad.csv:3: expected 3 fields, found 2');
    return true;
  });
});

test('a non-numeric anomaly score names the file, line and column', () => {
  const text = 'timestamp,anomaly_score\n2014-04-01 00:00:00,0.5\n2014-04-01 00:05:00,oops\n';
  assert.throws(
    () => toResultTable(parseNabCsv(text, 'bad.csv')),
    /^NabCsvError: bad\.csv:3: column "anomaly_score" has non-numeric value "oops"$/,
  );
  const empty = 'timestamp,anomaly_score\n2014-04-01 00:00:00,\n';
  assert.throws(() => toResultTable(parseNabCsv(empty, 'e.csv')), /e\.csv:2: column "anomaly_score"/);
});

test('a missing required column is reported with the header', () => {
  assert.throws(
    () => parseNabCsv('timestamp,value\n', 'x.csv', ['timestamp', 'anomaly_score']),
    /x\.csv:1: missing required column "anomaly_score" \(header: timestamp,value\)/,
  );
  assert.throws(() => parseNabCsv('', 'empty.csv'), /empty\.csv:1: missing header line/);
});

test('a BOM, quoted fields and blank lines are read as RFC 4180 says; errors keep the file\'s line numbers', () => {
  const t = parseNabCsv('\ufefftimestamp,value,note\r\n"2014-04-01 00:00:00",1,"a, b"\r\n\r\n2014-04-01 00:05:00,2,"say ""hi"""\r\n', 'q.csv', ['timestamp', 'value']);
  assert.deepEqual(t.header, ['timestamp', 'value', 'note']);
  assert.deepEqual(t.timestamps, ['2014-04-01 00:00:00', '2014-04-01 00:05:00']);
  assert.deepEqual(t.columns.get('note'), ['a, b', 'say "hi"']);
  assert.deepEqual(t.lines, [2, 4]);
  const gap = parseNabCsv('timestamp,value\n2014-04-01 00:00:00,1\n\n2014-04-01 00:10:00,x\n', 'g.csv');
  assert.throws(() => numericColumn(gap, 'value'), /^NabCsvError: g\.csv:4: column "value" has non-numeric value "x"$/);
  assert.throws(() => parseNabCsv('timestamp,value\n2014-04-01 00:00:00,"1\n', 'u.csv'), (e: unknown) => e instanceof NabCsvError && /^u\.csv:\d+: .*[Qq]uote/.test(e.message));
});
