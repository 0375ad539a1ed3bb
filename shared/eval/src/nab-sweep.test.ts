import { seededRng } from '@hourglass/core';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareFile, scoreFile, type CostMatrix, type PreparedFile } from './nab-scorer.js';
import { buildScorePool, sweepThresholds, NO_DETECTION_THRESHOLD } from './nab-sweep.js';

const STANDARD = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 };

test('an exact tie goes to the higher threshold', () => {
  // Window rows 2..5. Threshold 0.9 detects row 2 (raw 1); 0.8 adds row 4, a later detection in the same
  // window, which changes nothing (raw 1 again): the tie must keep 0.9. 0.1 adds FPs at rows 0 and 1.
  const f = prepareFile('tie', [0.1, 0.1, 0.9, 0.1, 0.8, 0.1], [{ start: 2, end: 5 }]);
  const sweep = sweepThresholds(buildScorePool([f]), STANDARD, { curve: true });
  assert.equal(sweep.threshold, 0.9);
  assert.equal(sweep.raw, 1);
  assert.deepEqual([...(sweep.curve?.thresholds ?? [])], [1.1, 0.9, 0.8, 0.1]);
  assert.deepEqual([...(sweep.curve?.raws ?? [])].map((r) => Math.round(r * 1e12) / 1e12), [-1, 1, 1, 0.78]);
  assert.equal(sweep.thresholdsTried, 4);
});

test('with only false positives to gain, 1.1 (no detections) wins', () => {
  const f = prepareFile('no-windows', [0.3, 0.2, 0.9, 0.3, 0.5, 0.1], []);
  const sweep = sweepThresholds(buildScorePool([f]), STANDARD);
  assert.equal(sweep.threshold, NO_DETECTION_THRESHOLD);
  assert.equal(sweep.raw, 0);
});

test('scores of 1.1 and above are handled: 1.1 is tried once, in its place', () => {
  const f = prepareFile('big', [2, 1.1, 0, 0, 0, 0], [{ start: 1, end: 2 }]);
  const sweep = sweepThresholds(buildScorePool([f]), STANDARD, { curve: true });
  assert.deepEqual([...(sweep.curve?.thresholds ?? [])], [2, 1.1, 0]);
  assert.equal(sweep.threshold, 1.1);
});

/** Uniform [0, 1) numbers from the shared seeded generator, so the randomised comparison is reproducible. */
const rng = (seed: number): (() => number) => seededRng(seed).next;

function randomFile(rand: () => number, k: number): PreparedFile {
  const n = 5 + Math.floor(rand() * 60);
  // Few distinct score levels, so many rows share a threshold group.
  const scores = Array.from({ length: n }, () => Math.floor(rand() * 8) / 7);
  const windows = [];
  let at = Math.floor(rand() * 5);
  while (at < n && rand() < 0.7) {
    const end = Math.min(n - 1, at + Math.floor(rand() * 8));
    windows.push({ start: at, end });
    at = end + 1 + Math.floor(rand() * 15);
  }
  return prepareFile(`random-${k}`, scores, windows);
}

test('the incremental sweep equals scoring every threshold from scratch (randomised, seeded)', () => {
  const rand = rng(20240601);
  const costs: CostMatrix[] = [STANDARD, { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 }, { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 }];
  for (let trial = 0; trial < 200; trial++) {
    const files = Array.from({ length: 1 + Math.floor(rand() * 4) }, (_, k) => randomFile(rand, k));
    const cost = costs[trial % 3] as CostMatrix;
    const sweep = sweepThresholds(buildScorePool(files), cost, { curve: true });
    const thresholds = new Set<number>([1.1]);
    for (const f of files) for (let i = f.probation; i < f.rows; i++) thresholds.add(f.anomalyScores[i] as number);
    const sorted = [...thresholds].sort((a, b) => b - a);
    assert.deepEqual([...(sweep.curve?.thresholds ?? [])], sorted);
    let bestRaw = -Infinity;
    let bestTh = NaN;
    sorted.forEach((th, k) => {
      const raw = files.reduce((acc, f) => acc + scoreFile(f, th, cost).raw, 0);
      assert.ok(Math.abs(raw - (sweep.curve?.raws[k] as number)) < 1e-9, `trial ${trial} threshold ${th}`);
      if (raw > bestRaw + 1e-12) {
        bestRaw = raw;
        bestTh = th;
      }
    });
    assert.equal(sweep.threshold, bestTh, `trial ${trial}`);
  }
});
