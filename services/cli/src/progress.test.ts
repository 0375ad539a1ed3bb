import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressBar, renderBar } from './progress';

function fakeOutput(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (text: string) => writes.push(text) };
}

test('renderBar: fills in proportion, clamps, and appends the suffix', () => {
  assert.equal(renderBar(0), `[${' '.repeat(30)}]   0%`);
  assert.equal(renderBar(0.5, '3/7 files'), `[${'#'.repeat(15)}${' '.repeat(15)}]  50%  3/7 files`);
  assert.equal(renderBar(1), `[${'#'.repeat(30)}] 100%`);
  assert.equal(renderBar(7), renderBar(1));
  assert.equal(renderBar(-1), renderBar(0));
  assert.equal(renderBar(Number.NaN), renderBar(0));
});

test('progressBar: draws on a terminal at most every 100 ms, and done() clears the line', () => {
  let clock = 1000;
  const out = fakeOutput(true);
  const bar = progressBar(out, () => clock);
  bar.update(0.1);
  bar.update(0.2); // same instant: throttled
  clock += 99;
  bar.update(0.3); // still within 100 ms
  clock += 1;
  bar.update(0.4, 'x');
  bar.done();
  assert.deepEqual(out.writes, [`\r${renderBar(0.1)}\x1b[K`, `\r${renderBar(0.4, 'x')}\x1b[K`, '\r\x1b[K']);
});

test('progressBar: writes nothing when the output is not a terminal (logs, pipes, CI)', () => {
  const out = fakeOutput(false);
  const bar = progressBar(out);
  bar.update(0.5);
  bar.done();
  assert.deepEqual(out.writes, []);
});
