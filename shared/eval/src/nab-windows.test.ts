import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalTimestamp, parseWindowLabels, windowsToRows } from './nab-windows.js';

const TS = ['2014-04-01 00:00:00', '2014-04-01 00:05:00', '2014-04-01 00:10:00', '2014-04-01 00:15:00'];

test('label timestamps with microseconds match data rows without them', () => {
  assert.equal(canonicalTimestamp('2014-04-10 07:15:00.000000'), '2014-04-10 07:15:00');
  assert.equal(canonicalTimestamp('2014-04-10 07:15:00.500'), '2014-04-10 07:15:00.5');
  const rows = windowsToRows(TS, [['2014-04-01 00:05:00.000000', '2014-04-01 00:10:00.000000']], 'f.csv');
  assert.deepEqual(rows, [{ start: 1, end: 2 }]);
});

test('a window edge that is not a row is a clear error', () => {
  assert.throws(
    () => windowsToRows(TS, [['2014-04-01 00:05:00', '2014-04-01 00:12:00']], 'f.csv'),
    /^NabWindowError: f\.csv: window 0 end "2014-04-01 00:12:00" does not match any row's timestamp$/,
  );
});

test('reversed or overlapping windows are rejected', () => {
  assert.throws(() => windowsToRows(TS, [['2014-04-01 00:10:00', '2014-04-01 00:05:00']], 'f.csv'), /ends \(row 1\) before/);
  assert.throws(
    () =>
      windowsToRows(
        TS,
        [
          ['2014-04-01 00:00:00', '2014-04-01 00:10:00'],
          ['2014-04-01 00:10:00', '2014-04-01 00:15:00'],
        ],
        'f.csv',
      ),
    /window 1 \(rows 2-3\) overlaps/,
  );
});

test('labels JSON is shape-checked', () => {
  const labels = parseWindowLabels('{"a/b.csv": [["x", "y"]], "a/c.csv": []}', 'l.json');
  assert.deepEqual(labels.get('a/b.csv'), [['x', 'y']]);
  assert.deepEqual(labels.get('a/c.csv'), []);
  assert.throws(() => parseWindowLabels('{"a/b.csv": [["x"]]}', 'l.json'), /l\.json: "a\/b\.csv" window 0 is not/);
  assert.throws(() => parseWindowLabels('[', 'l.json'), /l\.json: invalid JSON/);
});
