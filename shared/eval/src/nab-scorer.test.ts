import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeScore, prepareFile, probationaryLength, scaledSigmoid, scoreFile } from './nab-scorer.js';

// Profile "standard". The expected literals below were computed by hand from NAB's formulas:
// sigma(p) = 2 / (1 + e^(5p)) - 1, TP = tpWeight * sigma(pos) / sigma(-1), FP = fpWeight * sigma(pos).
const STANDARD = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 };
const LOW_FN = { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 };

/** Scores for `n` rows: 0 everywhere except 1 at the detected rows. */
function detections(n: number, rows: number[]): number[] {
  const s = new Array<number>(n).fill(0);
  for (const r of rows) s[r] = 1;
  return s;
}

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
}

test('probation is min(floor(0.15 n), 750); files of 6 rows or fewer have none', () => {
  assert.equal(probationaryLength(6), 0);
  assert.equal(probationaryLength(40), 6);
  assert.equal(probationaryLength(4032), 604);
  assert.equal(probationaryLength(5000), 750);
  assert.equal(probationaryLength(22695), 750);
});

test('scaled sigmoid: 0 at the window end, -1 beyond three widths', () => {
  close(scaledSigmoid(-1), 0.9866142981514305, 'sigma(-1)');
  assert.equal(scaledSigmoid(0), 0);
  close(scaledSigmoid(3), 2 / (1 + Math.exp(15)) - 1, 'sigma(3)');
  assert.equal(scaledSigmoid(3.0001), -1);
});

test('a detection on the first row of a window scores exactly tpWeight', () => {
  // Window rows 2..5 (width 4); position -(5 - 2 + 1) / 4 = -1.
  const f = prepareFile('early', detections(6, [2]), [{ start: 2, end: 5 }]);
  const s = scoreFile(f, 0.5, STANDARD);
  assert.equal(s.raw, 1);
  assert.deepEqual([...s.rowScores], [0, 0, 1, 0, 0, 0]);
  assert.deepEqual({ tp: s.tp, fp: s.fp, fn: s.fn, tn: s.tn }, { tp: 1, fp: 0, fn: 3, tn: 2 });
  assert.equal(s.null, -1);
  assert.equal(s.perfect, 1);
});

test('a late detection scores sigma(-1/4) / sigma(-1), written on the window first row', () => {
  const f = prepareFile('late', detections(6, [5]), [{ start: 2, end: 5 }]);
  const s = scoreFile(f, 0.5, STANDARD);
  close(s.raw, 0.5621241486044827, 'raw');
  close(s.rowScores[2] as number, 0.5621241486044827, 'S(t) at window start');
  assert.equal(s.rowScores[5], 0);
});

test('only the earliest detection in a window counts; later ones are neither TP nor FP', () => {
  const f = prepareFile('twice', detections(6, [3, 4, 5]), [{ start: 2, end: 5 }]);
  const s = scoreFile(f, 0.5, STANDARD);
  // Earliest at row 3: position -(5 - 3 + 1) / 4 = -0.75.
  close(s.raw, scaledSigmoid(-0.75) / scaledSigmoid(-1), 'raw');
  assert.equal(s.detectedWindows, 1);
  assert.equal(s.tp, 3);
  assert.equal(s.fp, 0);
});

test('a missed window costs -fnWeight, written on its first row', () => {
  const f = prepareFile('missed', detections(6, []), [{ start: 2, end: 5 }]);
  assert.equal(scoreFile(f, 0.5, STANDARD).raw, -1);
  const s = scoreFile(f, 0.5, LOW_FN);
  assert.equal(s.raw, -2);
  assert.deepEqual([...s.rowScores], [0, 0, -2, 0, 0, 0]);
  assert.equal(s.null, -2);
});

test('a false positive right after a window is cheap: position (i - end) / (width - 1)', () => {
  // Window rows 1..4 (width 4), detected at row 1 (TP = 1); FP at row 5: position 1 / 3.
  const f = prepareFile('fp-after', detections(6, [1, 5]), [{ start: 1, end: 4 }]);
  const s = scoreFile(f, 0.5, STANDARD);
  close(s.rowScores[5] as number, -0.07504879692619866, 'FP cost');
  close(s.raw, 1 - 0.07504879692619866, 'raw');
  assert.equal(s.fp, 1);
});

test('a false positive with no window ended before it costs exactly -fpWeight', () => {
  const f = prepareFile('fp-first', detections(6, [1, 3]), [{ start: 3, end: 5 }]);
  const s = scoreFile(f, 0.5, STANDARD);
  assert.equal(s.rowScores[1], -0.11);
  assert.equal(s.raw, 1 - 0.11);
  // A file with no windows at all: every detection is a full-cost FP, and the normalised score is undefined.
  const none = scoreFile(prepareFile('no-windows', detections(6, [0, 5]), []), 0.5, STANDARD);
  assert.equal(none.raw, -0.22);
  assert.ok(Number.isNaN(normalizeScore(none.raw, none.null, none.perfect)));
});

test('a false positive more than three window widths after a window costs exactly -fpWeight', () => {
  // Window rows 0..1 (width 2, so the FP position is i - 1): row 4 is position 3, row 5 position 4.
  const f = prepareFile('fp-far', detections(6, [0, 4, 5]), [{ start: 0, end: 1 }]);
  const s = scoreFile(f, 0.5, STANDARD);
  close(s.rowScores[4] as number, 0.11 * scaledSigmoid(3), 'FP at position 3');
  assert.equal(s.rowScores[5], -0.11);
});

test('a window inside probation drops out of the score and the null score, but not the perfect score', () => {
  // 40 rows: probation is rows 0..5. Window A (rows 1..4) lies inside it; window B (rows 20..23) does not.
  // Detections: row 2 (inside probation: ignored), row 7 (FP measured from A: position (7 - 4) / 3 = 1),
  // row 20 (B's first row: TP = 1).
  const f = prepareFile('probation', detections(40, [2, 7, 20]), [
    { start: 1, end: 4 },
    { start: 20, end: 23 },
  ]);
  const s = scoreFile(f, 0.5, STANDARD);
  assert.equal(s.scorableWindows, 1);
  assert.equal(s.null, -1);
  assert.equal(s.perfect, 2);
  assert.equal(s.rowScores[1], 0, 'no S(t) for the dropped window');
  close(s.rowScores[7] as number, -0.10852757279665734, 'FP one width after the probationary window');
  close(s.raw, 1 - 0.10852757279665734, 'raw');
  close(normalizeScore(s.raw, s.null, s.perfect), (100 * (s.raw + 1)) / 3, 'normalised');
  // Rows in probation are not counted at all.
  assert.equal(s.tp + s.fp + s.fn + s.tn, 34);
});

test('a threshold equal to a score detects it (>=)', () => {
  const f = prepareFile('ge', [0, 0, 0.5, 0, 0, 0], [{ start: 2, end: 5 }]);
  assert.equal(scoreFile(f, 0.5, STANDARD).raw, 1);
  assert.equal(scoreFile(f, 0.5000001, STANDARD).raw, -1);
});

test('malformed windows are rejected', () => {
  assert.throws(() => prepareFile('w', [0, 0, 0], [{ start: 1, end: 3 }]), /w: window 0 \(rows 1-3\) is not within rows 0-2/);
  assert.throws(() => prepareFile('w', [0, 0, 0], [{ start: 0, end: 1 }, { start: 1, end: 2 }]), /window 1 overlaps/);
  assert.throws(() => prepareFile('w', [0, NaN, 0], []), /w: anomaly score at row 1 is NaN/);
});
