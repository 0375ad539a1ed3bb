import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitCalibration, seededRng } from '@hourglass/core';
import { MAX_SURPRISE_DECADES, calibrate } from './scoring';

// Validation errors shaped like a model's: positive, right-skewed.
const rng = seededRng(7);
const errors = Array.from({ length: 2000 }, () => -Math.log(1 - rng.next()) * 0.01);
const calibration = fitCalibration(errors, 0.9);

test('surprise keeps ordering errors after the calibrated score has reached exactly 1', () => {
  const far = [0.5, 1, 2, 4, 8].map((x) => calibrate(calibration, x));
  assert.ok(far.every((c) => c.score === 1), 'these errors are beyond float64 resolution of 1 - p');
  for (let i = 1; i < far.length; i++) assert.ok(far[i]!.surprise > far[i - 1]!.surprise, `surprise rises at ${i}`);
  assert.ok(far.every((c) => c.severity === 100));
});

test('surprise is log10(1/p): it agrees with the score where the score still resolves p', () => {
  for (const x of [0.001, 0.01, 0.03, 0.06]) {
    const c = calibrate(calibration, x);
    assert.ok(Math.abs(c.surprise + Math.log10(1 - c.score)) < 1e-6, `x=${x}: ${c.surprise} vs score ${c.score}`);
    assert.ok(Math.abs(c.severity - Math.min(100, (100 * c.surprise) / 6)) < 1e-9);
  }
});

test('surprise is capped and never negative or NaN', () => {
  assert.equal(calibrate(calibration, 1e6).surprise, MAX_SURPRISE_DECADES);
  assert.equal(calibrate(calibration, Number.NaN).surprise, MAX_SURPRISE_DECADES); // NaN is maximally surprising, as for the score
  assert.ok(calibrate(calibration, -1).surprise >= 0);
});
