import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaveOneCategoryOut, type LocoCandidate } from './nab-loco.js';
import { prepareFile, scoreFile } from './nab-scorer.js';
import type { Profiles } from './nab-benchmark.js';

const PROFILES: Profiles = {
  standard: { tpWeight: 1, fnWeight: 1, fpWeight: 0.11 },
  reward_low_FP_rate: { tpWeight: 1, fnWeight: 1, fpWeight: 0.22 },
  reward_low_FN_rate: { tpWeight: 1, fnWeight: 2, fpWeight: 0.11 },
};

/** A 200-row file with one window at rows 150..159; `hit` puts a 0.9 score on its first row, `fp` a 0.9 at row 60. */
function file(name: string, hit: boolean, fp = false): ReturnType<typeof prepareFile> {
  const scores = new Array<number>(200).fill(0);
  if (hit) scores[150] = 0.9;
  if (fp) scores[60] = 0.9;
  return prepareFile(name, scores, [{ start: 150, end: 159 }]);
}

test('LOCO picks each fold by the other categories and scores the held-out one at their threshold', () => {
  // "finds" detects everything in a and b but nothing in c; "noisy" detects c too, with a false positive in a.
  const finds: LocoCandidate = { name: 'finds', files: [file('a/1.csv', true), file('b/1.csv', true), file('c/1.csv', false)] };
  const noisy: LocoCandidate = { name: 'noisy', files: [file('a/1.csv', true, true), file('b/1.csv', true), file('c/1.csv', true)] };
  const result = leaveOneCategoryOut([finds, noisy], PROFILES);
  assert.deepEqual(result.categories, ['a', 'b', 'c']);
  const folds = result.profiles.standard.folds;
  // Holding out c, both are perfect on b, and "finds" beats "noisy" on a (no false positive): "finds" is chosen and misses c.
  const c = folds.find((f) => f.category === 'c')!;
  assert.equal(c.chosen, 'finds');
  assert.equal(c.heldOutScore, 0);
  // Holding out a: on b and c, "noisy" is perfect and "finds" misses c, so "noisy" is chosen, and its false positive in a counts.
  const a = folds.find((f) => f.category === 'a')!;
  assert.equal(a.chosen, 'noisy');
  const expected = scoreFile(noisy.files[0]!, a.threshold, PROFILES.standard);
  assert.ok(expected.fp > 0);
  assert.ok(Math.abs(a.raw - expected.raw) < 1e-12);
  assert.ok(a.heldOutScore < 100);
  // The plain score of "noisy" is in-sample and higher than the LOCO total, which paid for choosing blind.
  assert.ok(result.plain.noisy!.standard.total > result.profiles.standard.total);
});

test('LOCO ties go to the earlier (simpler) candidate, and mismatched file sets are refused', () => {
  const one: LocoCandidate = { name: 'simple', files: [file('a/1.csv', true), file('b/1.csv', true)] };
  const two: LocoCandidate = { name: 'complex', files: [file('a/1.csv', true), file('b/1.csv', true)] };
  const result = leaveOneCategoryOut([one, two], PROFILES);
  assert.ok(result.profiles.standard.folds.every((f) => f.chosen === 'simple'));
  assert.throws(() => leaveOneCategoryOut([one, { name: 'short', files: [file('a/1.csv', true)] }], PROFILES), /other files/);
  assert.throws(() => leaveOneCategoryOut([{ name: 'x', files: [file('a/1.csv', true)] }], PROFILES), /two categories/);
});
