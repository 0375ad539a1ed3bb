/**
 * The expected-value band's calibration: the distribution of the newest step's error (observed
 * minus reconstructed, normalised units) on the fit's validation windows, per channel, kept as
 * quantiles so any coverage can be drawn at scoring time (`scorer.band.coverage`) without a refit.
 * The band is empirical and two-sided: at coverage c it spans the (1-c)/2 and (1+c)/2 quantiles,
 * so a skewed error (a reconstruction that lags a rise) gives an asymmetric band.
 */
export interface BandCalibration {
  /** Probabilities of the stored quantiles, ascending, from 0 to 1. */
  readonly probabilities: readonly number[];
  /** Per channel (the model's channel order), the newest-step error's quantile at each probability; empty when the channel was never observed there. */
  readonly residuals: readonly (readonly number[])[];
  /** Validation windows the quantiles come from. */
  readonly windows: number;
}

/** 0, 0.005, ..., 1: fine enough for coverages up to 0.99 to interpolate between two stored quantiles. */
export const BAND_PROBABILITIES: readonly number[] = Array.from({ length: 201 }, (_, i) => i / 200);

/** Quantiles of each channel's errors (each list is sorted in place). */
export function fitBand(errorsPerChannel: number[][], windows: number): BandCalibration {
  return {
    probabilities: BAND_PROBABILITIES,
    residuals: errorsPerChannel.map((errors) => {
      if (errors.length === 0) return [];
      errors.sort((a, b) => a - b);
      return BAND_PROBABILITIES.map((p) => quantileSorted(errors, p));
    }),
    windows,
  };
}

/** The band's offsets from the expected value for `channel` at `coverage`, normalised units; null when there is nothing to draw it from. */
export function bandOffsets(band: BandCalibration, channel: number, coverage: number): { lower: number; upper: number } | null {
  const q = band.residuals[channel];
  if (!q || q.length !== band.probabilities.length || q.length === 0) return null;
  const at = (p: number) => interpolate(band.probabilities, q, p);
  return { lower: at((1 - coverage) / 2), upper: at((1 + coverage) / 2) };
}

/** Problems of a stored band for a model of `channels` channels (empty: valid). */
export function validateBand(band: BandCalibration, channels: number): string[] {
  const p = band.probabilities;
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  if (!Array.isArray(p) || p.length < 2 || !p.every(finite) || p[0] !== 0 || p[p.length - 1] !== 1 || p.some((v, i) => i > 0 && v <= (p[i - 1] as number))) {
    return ['band.probabilities must rise from 0 to 1'];
  }
  if (!Array.isArray(band.residuals) || band.residuals.length !== channels) return [`band.residuals needs one list per channel (${channels})`];
  const bad = band.residuals.findIndex((q) => !Array.isArray(q) || (q.length !== 0 && (q.length !== p.length || !q.every(finite) || q.some((v, i) => i > 0 && v < (q[i - 1] as number)))));
  return bad >= 0 ? [`band.residuals[${bad}] must be empty or ${p.length} non-decreasing finite quantiles`] : [];
}

function quantileSorted(sorted: readonly number[], p: number): number {
  const at = p * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return (sorted[lo] as number) + (at - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

function interpolate(xs: readonly number[], ys: readonly number[], x: number): number {
  if (x <= (xs[0] as number)) return ys[0] as number;
  for (let i = 1; i < xs.length; i += 1) {
    const x1 = xs[i] as number;
    if (x <= x1) {
      const x0 = xs[i - 1] as number;
      const y0 = ys[i - 1] as number;
      return y0 + ((x - x0) / (x1 - x0)) * ((ys[i] as number) - y0);
    }
  }
  return ys[ys.length - 1] as number;
}
