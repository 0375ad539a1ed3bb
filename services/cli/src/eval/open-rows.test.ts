import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { rowsSeeingOpens } from './open-rows';

test('an open at a row\'s own step is seen there; one at a step without a row, at the first row after it', () => {
  // Rows on steps 0, 10, 30, 40 (no row at 20); NaN: a row without a step (unparsable).
  const steps = [0, 10, Number.NaN, 30, 40];
  assert.deepEqual([...rowsSeeingOpens([10], steps)], [[1, 10]]);
  assert.deepEqual([...rowsSeeingOpens([20], steps)], [[3, 20]]);
  assert.deepEqual([...rowsSeeingOpens([20, 40], steps)], [[3, 20], [4, 40]]);
  // After the last row: seen nowhere.
  assert.deepEqual([...rowsSeeingOpens([50], steps)], []);
});

test('an open is never seen before its window ends, and at the first row that could see it', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 60 }), fc.uniqueArray(fc.integer({ min: 0, max: 520 }), { maxLength: 8 }), (rawSteps, opens) => {
      const steps = [...rawSteps].sort((a, b) => a - b);
      const seen = rowsSeeingOpens(opens, steps);
      for (const [row, end] of seen) {
        assert.ok(steps[row]! >= end, 'not before the window ends');
        if (row > 0) assert.ok(steps[row - 1]! < end, 'the first row at or after it');
      }
      for (const end of opens) if (end <= steps.at(-1)! && ![...seen.values()].includes(end)) {
        // Only a second open before the same row may go unseen.
        const row = steps.findIndex((s) => s >= end);
        assert.ok(seen.has(row) && seen.get(row)! < end);
      }
    }),
  );
});
