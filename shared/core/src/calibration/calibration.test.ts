import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { calibratedScore, exceedanceProbability, fitCalibration, severityFromExceedance, validateCalibration } from './calibrator';
import { fitGpd, gpdSurvival } from './gpd';
import { fitPot, potQuantile, quantileThreshold } from './threshold';
import { rocAuc } from './auc';

/** Seeded uniform PRNG (mulberry32) so sample-based assertions are reproducible. */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296; // in (0,1)
  };
}
const exponential = (n: number, seed: number): number[] => {
  const u = uniform(seed);
  return Array.from({ length: n }, () => -Math.log(u()));
};
const pareto = (n: number, alpha: number, seed: number): number[] => {
  const u = uniform(seed);
  return Array.from({ length: n }, () => Math.pow(u(), -1 / alpha));
};

test('POT threshold on exponential samples is close to the analytic quantile -ln(q)', () => {
  for (const seed of [1, 2, 3]) {
    const pot = fitPot(exponential(20_000, seed), 1e-4, 0.98);
    const analytic = -Math.log(1e-4);
    assert.ok(Math.abs(pot.threshold - analytic) / analytic < 0.12, `seed ${seed}: z_q ${pot.threshold} vs ${analytic}`);
    assert.ok(Math.abs(pot.gpd.shape) < 0.15, `exponential tail has shape ≈ 0, got ${pot.gpd.shape}`);
  }
});

test('POT threshold on Pareto samples is close to the analytic quantile q^(-1/α), shape ≈ 1/α', () => {
  for (const seed of [4, 5, 6]) {
    const alpha = 3;
    const pot = fitPot(pareto(20_000, alpha, seed), 1e-4, 0.98);
    const analytic = Math.pow(1e-4, -1 / alpha);
    assert.ok(Math.abs(pot.threshold - analytic) / analytic < 0.25, `seed ${seed}: z_q ${pot.threshold} vs ${analytic}`);
    assert.ok(Math.abs(pot.gpd.shape - 1 / alpha) < 0.12, `shape ${pot.gpd.shape} vs ${1 / alpha}`);
  }
});

test('the Grimshaw fit recovers a negative shape (bounded tail)', () => {
  const u = uniform(9);
  const [shape, scale] = [-0.3, 2];
  const sample = Array.from({ length: 5000 }, () => (scale / shape) * (Math.pow(u(), -shape) - 1));
  const fit = fitGpd(sample);
  assert.equal(fit.method, 'grimshaw');
  assert.ok(Math.abs(fit.shape - shape) < 0.06, `shape ${fit.shape}`);
  assert.ok(Math.abs(fit.scale - scale) / scale < 0.1, `scale ${fit.scale}`);
  assert.equal(gpdSurvival(fit, 10), 0, 'beyond the endpoint σ/|γ| nothing survives');
});

test('the quantile threshold is the empirical quantile', () => {
  const values = Array.from({ length: 101 }, (_, i) => 100 - i);
  assert.equal(quantileThreshold(values, 0.99), 99);
  assert.equal(quantileThreshold([...values, NaN, Infinity], 0.5), 50);
});

test('a risk beyond the peaks returns t', () => {
  assert.ok(potQuantile(1, { shape: 0, scale: 1 }, 0.5, 10, 2) === 1);
});

const finiteErrors = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 10, maxLength: 300 });
const anyFinite = fc.double({ noNaN: true, noDefaultInfinity: true });

test('calibrated scores are monotone, in [0,1] and finite for any finite input (property)', () => {
  fc.assert(
    fc.property(finiteErrors, fc.double({ min: 0.5, max: 0.995, noNaN: true }), anyFinite, anyFinite, (errors, tq, a, b) => {
      const cal = fitCalibration(errors, tq);
      assert.deepEqual(validateCalibration(cal), []);
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      const sLo = calibratedScore(cal, lo);
      const sHi = calibratedScore(cal, hi);
      for (const s of [sLo, sHi]) assert.ok(Number.isFinite(s) && s >= 0 && s <= 1);
      assert.ok(sLo <= sHi, `F(${lo}) = ${sLo} > F(${hi}) = ${sHi}`);
      const sevLo = severityFromExceedance(exceedanceProbability(cal, lo));
      const sevHi = severityFromExceedance(exceedanceProbability(cal, hi));
      assert.ok(sevLo >= 0 && sevHi <= 100 && sevLo <= sevHi);
    }),
    { numRuns: 300 },
  );
});

test('beyond the observed range, scores stay strictly ordered (the GPD tail)', () => {
  fc.assert(
    fc.property(finiteErrors, fc.double({ min: 0.01, max: 100, noNaN: true }), (errors, step) => {
      const cal = fitCalibration(errors);
      const max = Math.max(...errors);
      const range = Math.max(max - Math.min(...errors), 1e-9);
      const xs = [1, 2, 3].map((k) => max + k * step * range);
      const ps = xs.map((x) => exceedanceProbability(cal, x));
      // Strict where the tail probability is representable (it always is this close to the data).
      for (let i = 1; i < ps.length; i += 1) if ((ps[i - 1] as number) > 1e-300) assert.ok((ps[i] as number) < (ps[i - 1] as number), `${ps}`);
      assert.ok(calibratedScore(cal, max) > calibratedScore(cal, Math.min(...errors)) || new Set(errors).size === 1);
    }),
    { numRuns: 200 },
  );
});

test('calibration of exponential errors follows the true CDF, in the body and the tail', () => {
  const cal = fitCalibration(exponential(20_000, 21), 0.9);
  for (const x of [0.1, 0.5, 1, 2, 4, 8, 12]) {
    const truth = Math.exp(-x);
    const p = exceedanceProbability(cal, x);
    // Tail extrapolation to 1/3000 from ~2000 excesses: a factor 2 covers the shape's sampling error.
    assert.ok(Math.abs(Math.log(p / truth)) < Math.log(2), `P(X > ${x}) = ${p} vs ${truth}`);
  }
  assert.equal(calibratedScore(cal, NaN), 1);
  assert.equal(severityFromExceedance(1e-3), 50);
  assert.equal(severityFromExceedance(1e-9), 100);
  assert.throws(() => fitCalibration([1, 2, 3]), /at least 10/);
});

test('validateCalibration refuses corrupt states', () => {
  const cal = fitCalibration(exponential(100, 3));
  assert.deepEqual(validateCalibration(cal), []);
  assert.notDeepEqual(validateCalibration({ ...cal, knots: [...cal.knots].reverse() }), []);
  assert.notDeepEqual(validateCalibration({ ...cal, tailScale: NaN }), []);
  assert.notDeepEqual(validateCalibration({ ...cal, tailShape: -1 }), []);
  assert.notDeepEqual(validateCalibration({ ...cal, probabilities: [] }), []);
});

test('ROC AUC: perfect, inverted, random and tied rankings', () => {
  assert.equal(rocAuc([1, 2, 3], [4, 5]), 1);
  assert.equal(rocAuc([4, 5], [1, 2, 3]), 0);
  assert.equal(rocAuc([1, 1], [1, 1]), 0.5);
  assert.equal(rocAuc([1, 3], [2, 4]), 0.75);
  const u = uniform(5);
  const auc = rocAuc(Array.from({ length: 2000 }, u), Array.from({ length: 2000 }, u));
  assert.ok(Math.abs(auc - 0.5) < 0.03);
});
