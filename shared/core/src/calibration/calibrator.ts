import { MIN_EXCESSES, fitGpd, gpdSurvival } from './gpd';
import { quantileSorted, sortedFinite } from './quantile';

/**
 * Raw error → calibrated score in [0,1]: the empirical CDF of validation errors (linear between
 * knots), with a generalised Pareto tail fitted above a high quantile u, so errors beyond anything
 * seen in validation still get distinct, ordered scores instead of all saturating at 1.
 *
 *   F(x) = ecdf(x)                                for x ≤ u
 *   F(x) = 1 - (1 - F(u)) · S_gpd(x - u)          for x > u
 *
 * The tail's shape is clamped to γ ≥ 0: a negative shape has a finite endpoint past which every
 * error would score exactly 1, which would lose the order of the worst windows.
 */

/** Serialisable calibration (it travels in the model artifact). */
export interface CalibrationState {
  /** Ascending error values of the empirical CDF. */
  readonly knots: readonly number[];
  /** F at each knot, non-decreasing, in (0,1). */
  readonly probabilities: readonly number[];
  /** Start u of the GPD tail, and F(u). */
  readonly tailStart: number;
  readonly cdfAtTailStart: number;
  /** GPD of the excesses over u (shape ≥ 0). */
  readonly tailShape: number;
  readonly tailScale: number;
  /** Number of validation errors the calibration was fitted on. */
  readonly sampleCount: number;
}

/** Most knots kept; a larger sample is summarised by evenly spaced quantiles (bounded artifact size). */
export const MAX_KNOTS = 512;

/** Fewest finite errors a calibration accepts. */
export const MIN_CALIBRATION_SAMPLES = 10;

/** Fits a calibration on validation errors; `tailQuantile` sets u. Throws RangeError on too few finite errors. */
export function fitCalibration(errors: Iterable<number>, tailQuantile = 0.9): CalibrationState {
  const sorted = sortedFinite(errors);
  const n = sorted.length;
  if (n < MIN_CALIBRATION_SAMPLES) throw new RangeError(`calibration needs at least ${MIN_CALIBRATION_SAMPLES} finite errors, got ${n}`);
  const k = Math.min(n, MAX_KNOTS);
  const knots: number[] = [];
  const probabilities: number[] = [];
  for (let i = 0; i < k; i += 1) {
    // Rank r (0-based, fractional when summarised) has plotting position (r + 1) / (n + 1), never 0 or 1.
    const rank = k === 1 ? 0 : ((n - 1) * i) / (k - 1);
    knots.push(k === n ? (sorted[i] as number) : quantileSorted(sorted, rank / (n - 1)));
    probabilities.push((rank + 1) / (n + 1));
  }
  const u = quantileSorted(sorted, tailQuantile);
  const excesses = sorted.filter((x) => x > u).map((x) => x - u);
  const spread = Math.max((sorted[n - 1] as number) - (sorted[0] as number), Math.abs(u) * 1e-6, 1e-12);
  let shape = 0;
  let scale = excesses.length > 0 ? excesses.reduce((a, b) => a + b, 0) / excesses.length : 0;
  if (excesses.length >= MIN_EXCESSES) {
    const fit = fitGpd(excesses);
    shape = Math.max(0, fit.shape);
    // The shape clamp changes the MLE; the exponential's own MLE (the mean) is the coherent scale then.
    scale = fit.shape >= 0 ? fit.scale : scale;
  }
  if (!(scale > 0) || !Number.isFinite(scale)) scale = spread / Math.max(1, n);
  const base = { knots, probabilities, tailShape: shape, tailScale: scale, sampleCount: n };
  return { ...base, tailStart: u, cdfAtTailStart: bodyCdf(base, u) };
}

/** P(error > x) under the calibration: 1 - F(x), computed without cancellation in the tail. */
export function exceedanceProbability(state: CalibrationState, x: number): number {
  if (Number.isNaN(x)) return 0; // a non-finite error is maximally surprising
  if (x > state.tailStart) return (1 - state.cdfAtTailStart) * gpdSurvival({ shape: state.tailShape, scale: state.tailScale }, x - state.tailStart);
  return 1 - bodyCdf(state, x);
}

/** The calibrated score F(x) ∈ [0,1]: monotone non-decreasing in x; NaN maps to 1. */
export function calibratedScore(state: CalibrationState, x: number): number {
  return Math.min(1, Math.max(0, 1 - exceedanceProbability(state, x)));
}

/** Decades of surprise that map to severity 100: an error exceeded once in a million normal windows. */
export const SEVERITY_FULL_SCALE_DECADES = 6;

/**
 * Severity 0–100 from the exceedance probability p = 1 - score: 100 · log10(1/p) / 6, capped at 100.
 * So p = 0.1 → 16.7, p = 1e-3 → 50, p ≤ 1e-6 → 100; a typical normal window (p ≈ 0.5) gets ≈ 5.
 */
export function severityFromExceedance(p: number): number {
  if (!(p > 0)) return 100;
  if (p >= 1) return 0;
  return Math.min(100, (100 * Math.log10(1 / p)) / SEVERITY_FULL_SCALE_DECADES);
}

/** Problems with a (deserialised) calibration, empty when it is usable; for artifact validation. */
export function validateCalibration(state: CalibrationState): string[] {
  const issues: string[] = [];
  const { knots, probabilities } = state;
  if (!Array.isArray(knots) || !Array.isArray(probabilities) || knots.length === 0 || knots.length !== probabilities.length) {
    return ['calibration knots and probabilities must be non-empty arrays of equal length'];
  }
  if (knots.length > MAX_KNOTS) issues.push(`calibration has ${knots.length} knots, more than ${MAX_KNOTS}`);
  for (let i = 0; i < knots.length; i += 1) {
    const x = knots[i];
    const p = probabilities[i];
    if (typeof x !== 'number' || !Number.isFinite(x) || typeof p !== 'number' || !(p > 0 && p < 1)) {
      issues.push(`calibration knot ${i} is not a finite value with a probability in (0,1)`);
      break;
    }
    if (i > 0 && (x < (knots[i - 1] as number) || p < (probabilities[i - 1] as number))) {
      issues.push(`calibration knots are not sorted at ${i}`);
      break;
    }
  }
  if (!Number.isFinite(state.tailStart)) issues.push('calibration tailStart is not finite');
  if (!(state.cdfAtTailStart >= 0 && state.cdfAtTailStart < 1)) issues.push('calibration cdfAtTailStart is not in [0,1)');
  if (!(state.tailShape >= 0 && Number.isFinite(state.tailShape))) issues.push('calibration tailShape must be finite and ≥ 0');
  if (!(state.tailScale > 0 && Number.isFinite(state.tailScale))) issues.push('calibration tailScale must be finite and > 0');
  if (!Number.isInteger(state.sampleCount) || state.sampleCount < 1) issues.push('calibration sampleCount must be a positive integer');
  return issues;
}

/** Empirical CDF between knots, linear; 0 below the first knot. */
function bodyCdf(state: Pick<CalibrationState, 'knots' | 'probabilities'>, x: number): number {
  const { knots, probabilities } = state;
  if (!(x >= (knots[0] as number))) return 0;
  // Largest i with knots[i] ≤ x (ties: the last of them, so F at a tied value counts all of it).
  let lo = 0;
  let hi = knots.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((knots[mid] as number) <= x) lo = mid;
    else hi = mid - 1;
  }
  const p0 = probabilities[lo] as number;
  if (lo === knots.length - 1) return p0;
  const x0 = knots[lo] as number;
  const x1 = knots[lo + 1] as number;
  return p0 + ((x - x0) / (x1 - x0)) * ((probabilities[lo + 1] as number) - p0);
}
