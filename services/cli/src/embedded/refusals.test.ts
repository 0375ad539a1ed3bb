import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '@hourglass/runtime';
import { InputRefusals } from './refusals';

/** InputRefusals only calls `warn`; the rest of pino's Logger is not needed here. */
function recordingLog() {
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  const log = { warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }) } as unknown as Logger;
  return { log, warnings };
}

const bad = (line: number) => ({ line, reason: 'bad_timestamp', detail: 'x' });

test('a mostly good input logs its first five refusals, then one count, and never stops', () => {
  const { log, warnings } = recordingLog();
  const refusals = new InputRefusals('f.csv', log);
  for (let line = 2; line < 302; line++) {
    if (line % 10 === 0) refusals.refuse(bad(line));
    else refusals.accept();
  }
  assert.deepEqual(refusals.finish(), { refused: 30, lines: 300 });
  assert.deepEqual(warnings.slice(0, 5).map((w) => w.fields.line), [10, 20, 30, 40, 50]);
  assert.equal(warnings.length, 6);
  assert.match(warnings[5]!.message, /^25 more input lines refused/);
  assert.deepEqual(warnings[5]!.fields.byReason, { bad_timestamp: 30 });
});

test('an input refused nearly whole stops at the judgement with one error and logs nothing before it', () => {
  const { log, warnings } = recordingLog();
  const refusals = new InputRefusals('f.csv', log);
  assert.throws(() => {
    for (let line = 2; line < 1000; line++) refusals.refuse(bad(line));
  }, /^HourglassError: f\.csv: 100 of the first 100 lines were refused, so the run stopped\. Line 2: bad_timestamp \(x\)/);
  assert.deepEqual(warnings, []);
});

test('a short input is judged at its end: all refused is an error, one bad line of three is not', () => {
  const allBad = new InputRefusals('short.csv', recordingLog().log);
  allBad.refuse(bad(2));
  allBad.refuse(bad(3));
  assert.throws(() => allBad.finish(), /short\.csv: 2 of its 2 lines were refused/);
  const { log, warnings } = recordingLog();
  const oneBad = new InputRefusals('short.csv', log);
  oneBad.accept();
  oneBad.refuse(bad(3));
  oneBad.accept();
  assert.deepEqual(oneBad.finish(), { refused: 1, lines: 3 });
  assert.deepEqual(warnings.map((w) => w.fields.line), [3]);
});

test('good lines first do not hide a file that turns to garbage: the share is judged as it grows', () => {
  const refusals = new InputRefusals('f.csv', recordingLog().log);
  for (let i = 0; i < 100; i++) refusals.accept();
  assert.throws(() => {
    for (let line = 102; line < 5000; line++) refusals.refuse(bad(line));
  }, /900 of the first 1000 lines were refused/);
});
