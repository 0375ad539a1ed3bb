import { type GpdFit, MIN_EXCESSES, fitGpd } from './gpd';
import { quantileSorted, sortedFinite } from './quantile';

/**
 * Thresholds on raw errors: a fixed value, an empirical quantile, and peaks-over-threshold (POT)
 * its streaming form SPOT from Siffer, Fouque, Termier and Largouët, "Anomaly Detection in Streams
 * with Extreme Value Theory", KDD 2017. A value strictly above the threshold is an anomaly.
 */

/** How a threshold was chosen. */
export type ThresholdMethod = 'fixed' | 'quantile' | 'pot';

/** A POT fit: initial threshold t, its excesses' GPD, and the sample counts that define the risk. */
export interface PotState {
  /** The initial threshold t (a high empirical quantile). */
  readonly initialThreshold: number;
  readonly gpd: GpdFit;
  /** Number of observations n and of peaks N_t above t. */
  readonly count: number;
  readonly peakCount: number;
  /** Risk q: the target probability of a normal value exceeding the threshold. */
  readonly risk: number;
  /** The POT threshold z_q. */
  readonly threshold: number;
}

/** Empirical quantile of the finite values of `errors`. */
export function quantileThreshold(errors: Iterable<number>, quantile: number): number {
  const sorted = sortedFinite(errors);
  if (sorted.length === 0) throw new RangeError('quantile threshold of no finite errors');
  return quantileSorted(sorted, quantile);
}

/**
 * The POT quantile z_q = t + σ/γ ((q n / N_t)^(-γ) - 1), or t - σ ln(q n / N_t) when γ = 0: the value
 * exceeded with probability q under the fitted tail. Never below t.
 */
export function potQuantile(t: number, gpd: Pick<GpdFit, 'shape' | 'scale'>, risk: number, count: number, peakCount: number): number {
  const r = (risk * count) / peakCount;
  if (r >= 1) return t; // the risk is not in the tail: t itself is already rarer than q
  const z = Math.abs(gpd.shape) < 1e-12 ? t - gpd.scale * Math.log(r) : t + (gpd.scale / gpd.shape) * (Math.pow(r, -gpd.shape) - 1);
  return Number.isFinite(z) ? Math.max(t, z) : t;
}

/** Fits POT on a sample: t = the `initialQuantile` quantile, a GPD on the excesses over t, then z_q. */
export function fitPot(errors: Iterable<number>, risk: number, initialQuantile = 0.98): PotState {
  const sorted = sortedFinite(errors);
  if (sorted.length === 0) throw new RangeError('POT of no finite errors');
  const t = quantileSorted(sorted, initialQuantile);
  const excesses = sorted.filter((x) => x > t).map((x) => x - t);
  const gpd = fitGpdOrExponential(excesses);
  const threshold = potQuantile(t, gpd, risk, sorted.length, Math.max(1, excesses.length));
  return { initialThreshold: t, gpd, count: sorted.length, peakCount: excesses.length, risk, threshold };
}

/** A GPD fit, or an exponential tail with the excesses' mean when there are too few of them. */
export function fitGpdOrExponential(excesses: readonly number[]): GpdFit {
  const positive = excesses.filter((y) => Number.isFinite(y) && y > 0);
  if (positive.length >= MIN_EXCESSES) return fitGpd(positive);
  const mean = positive.length > 0 ? positive.reduce((a, b) => a + b, 0) / positive.length : 0;
  return { shape: 0, scale: mean > 0 ? mean : Number.MIN_VALUE, method: 'exponential' };
}
