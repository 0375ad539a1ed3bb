import { type GpdFit, MIN_EXCESSES, fitGpd } from './gpd';
import { quantileSorted, sortedFinite } from './quantile';

/**
 * Thresholds on raw errors: a fixed value, an empirical quantile, and peaks-over-threshold (POT) and
 * its streaming form SPOT from Siffer, Fouque, Termier and Largouët, "Anomaly Detection in Streams
 * with Extreme Value Theory", KDD 2017. A value strictly above the threshold is an anomaly.
 */

/** How a threshold was chosen; `spot` starts as `pot` and is updated by {@link Spot}. */
export type ThresholdMethod = 'fixed' | 'quantile' | 'pot' | 'spot';

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

/**
 * SPOT: POT kept up to date on a stream. A value above z_q is an alarm and is not learnt (so
 * anomalies do not inflate the tail); a value between t and z_q is a new peak and the GPD is refit;
 * every normal value counts towards n.
 */
export class Spot {
  private readonly peaks: number[];
  private state: PotState;

  /** Starts from a POT fit on calibration errors (`fitPot`); `peaks` are its excesses over t. */
  constructor(initial: PotState, peaks: readonly number[]) {
    this.state = initial;
    this.peaks = [...peaks];
  }

  /** Builds SPOT directly from calibration errors. */
  static fit(errors: Iterable<number>, risk: number, initialQuantile = 0.98): Spot {
    const sorted = sortedFinite(errors);
    const pot = fitPot(sorted, risk, initialQuantile);
    return new Spot(pot, sorted.filter((x) => x > pot.initialThreshold).map((x) => x - pot.initialThreshold));
  }

  /** The current state (threshold z_q and the fit behind it). */
  get current(): PotState {
    return this.state;
  }

  /** Processes one value; returns whether it is an alarm against the threshold before the update. */
  update(x: number): boolean {
    if (!Number.isFinite(x)) return true;
    const s = this.state;
    if (x > s.threshold) return true;
    const count = s.count + 1;
    if (x > s.initialThreshold) {
      this.peaks.push(x - s.initialThreshold);
      const gpd = fitGpdOrExponential(this.peaks);
      const threshold = potQuantile(s.initialThreshold, gpd, s.risk, count, this.peaks.length);
      this.state = { ...s, gpd, count, peakCount: this.peaks.length, threshold };
    } else {
      this.state = { ...s, count, threshold: potQuantile(s.initialThreshold, s.gpd, s.risk, count, Math.max(1, this.peaks.length)) };
    }
    return false;
  }
}

/** A GPD fit, or an exponential tail with the excesses' mean when there are too few of them. */
export function fitGpdOrExponential(excesses: readonly number[]): GpdFit {
  const positive = excesses.filter((y) => Number.isFinite(y) && y > 0);
  if (positive.length >= MIN_EXCESSES) return fitGpd(positive);
  const mean = positive.length > 0 ? positive.reduce((a, b) => a + b, 0) / positive.length : 0;
  return { shape: 0, scale: mean > 0 ? mean : Number.MIN_VALUE, method: 'exponential' };
}
