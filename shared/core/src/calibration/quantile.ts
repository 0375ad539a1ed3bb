/** Empirical quantiles of finite samples (pure helpers shared by calibration and thresholds). */

/** Finite values of `values`, sorted ascending (a new array). */
export function sortedFinite(values: Iterable<number>): number[] {
  const out: number[] = [];
  for (const v of values) if (Number.isFinite(v)) out.push(v);
  return out.sort((a, b) => a - b);
}

/** Quantile p ∈ [0,1] of an ascending-sorted, non-empty sample, with linear interpolation (type 7). */
export function quantileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of an empty sample');
  const h = (sorted.length - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (h - lo) * (b - a);
}
