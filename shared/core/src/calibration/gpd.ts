/**
 * The generalised Pareto distribution (GPD) of the excesses Y = X - t over a high threshold t, and
 * its fit by maximum likelihood with Grimshaw's one-dimensional trick (as in Siffer et al., KDD 2017),
 * falling back to the method of moments when no likelihood root is usable.
 *
 * Parameterisation: shape γ (xi), scale σ > 0, survival S(y) = (1 + γ y / σ)^(-1/γ), and e^(-y/σ) for γ = 0.
 */

/** A fitted GPD: `shape` γ, `scale` σ > 0, and how it was fitted. */
export interface GpdFit {
  readonly shape: number;
  readonly scale: number;
  readonly method: 'grimshaw' | 'exponential' | 'moments';
}

/** Fewest excesses a fit accepts; below this the tail is too thin to say anything. */
export const MIN_EXCESSES = 5;

/** Survival function P(Y > y) of a GPD, for y ≥ 0. */
export function gpdSurvival(fit: Pick<GpdFit, 'shape' | 'scale'>, y: number): number {
  if (y <= 0) return 1;
  const { shape, scale } = fit;
  if (Math.abs(shape) < 1e-12) return Math.exp(-y / scale);
  const base = 1 + (shape * y) / scale;
  if (base <= 0) return 0; // beyond the finite endpoint of a negative-shape tail
  return Math.exp((-1 / shape) * Math.log(base));
}

/** Log-likelihood of excesses under a GPD; -Infinity where a value lies outside the support. */
export function gpdLogLikelihood(excesses: readonly number[], shape: number, scale: number): number {
  if (!(scale > 0)) return -Infinity;
  const n = excesses.length;
  if (Math.abs(shape) < 1e-12) return -n * Math.log(scale) - excesses.reduce((s, y) => s + y, 0) / scale;
  let sum = 0;
  for (const y of excesses) {
    const base = 1 + (shape * y) / scale;
    if (base <= 0) return -Infinity;
    sum += Math.log(base);
  }
  return -n * Math.log(scale) - (1 + 1 / shape) * sum;
}

/**
 * Fits a GPD to positive excesses. Grimshaw: the likelihood's stationary points satisfy
 * u(x)·v(x) = 1 with u = mean(1/(1+xY)), v = 1 + mean(log(1+xY)), x = γ/σ; each root gives
 * γ = v(x) - 1, σ = γ/x. The roots are bracketed on a grid over Grimshaw's bounds and refined by
 * bisection; the candidate (roots plus the exponential γ = 0) with the largest likelihood wins.
 */
export function fitGpd(excesses: readonly number[]): GpdFit {
  const ys = excesses.filter((y) => Number.isFinite(y) && y > 0);
  if (ys.length < MIN_EXCESSES) throw new RangeError(`a GPD fit needs at least ${MIN_EXCESSES} positive excesses, got ${ys.length}`);
  const n = ys.length;
  const mean = ys.reduce((s, y) => s + y, 0) / n;
  let min = Infinity;
  let max = -Infinity;
  for (const y of ys) {
    if (y < min) min = y;
    if (y > max) max = y;
  }
  const candidates: GpdFit[] = [{ shape: 0, scale: mean, method: 'exponential' }];
  if (max > min * (1 + 1e-9)) {
    const w = (x: number): number => {
      let u = 0;
      let v = 0;
      for (const y of ys) {
        const s = 1 + x * y;
        u += 1 / s;
        v += Math.log(s);
      }
      return (u / n) * (1 + v / n) - 1;
    };
    const eps = 1e-8 / mean;
    // Lower interval: x in (-1/max, 0); upper: x in (0, 2(mean - min)/min²) (Grimshaw 1993).
    const lower = -1 / max + eps;
    const upper = Math.min(2 * (mean - Math.max(min, 1e-6 * mean)) / Math.max(min, 1e-6 * mean) ** 2, 1e6 / mean);
    for (const [a, b] of [
      [lower, -eps],
      [eps, upper],
    ] as const) {
      if (!(b > a)) continue;
      for (const root of bracketRoots(w, a, b, 64)) {
        if (Math.abs(root) * max < 1e-6) continue; // the trivial root x = 0 (γ = 0 is the exponential candidate)
        const shape = ys.reduce((s, y) => s + Math.log(1 + root * y), 0) / n; // v(x) - 1
        const scale = shape / root;
        if (Number.isFinite(shape) && scale > 0 && Number.isFinite(scale)) candidates.push({ shape, scale, method: 'grimshaw' });
      }
    }
  }
  let best = candidates[0] as GpdFit;
  let bestLl = gpdLogLikelihood(ys, best.shape, best.scale);
  for (const c of candidates.slice(1)) {
    const ll = gpdLogLikelihood(ys, c.shape, c.scale);
    if (ll > bestLl) {
      best = c;
      bestLl = ll;
    }
  }
  return Number.isFinite(bestLl) ? best : fitGpdMoments(ys);
}

/** Method-of-moments GPD fit (valid for γ < 1/2); the fallback when the likelihood has no usable root. */
export function fitGpdMoments(excesses: readonly number[]): GpdFit {
  const n = excesses.length;
  const mean = excesses.reduce((s, y) => s + y, 0) / n;
  const variance = excesses.reduce((s, y) => s + (y - mean) ** 2, 0) / Math.max(1, n - 1);
  if (!(variance > 0)) return { shape: 0, scale: Math.max(mean, Number.MIN_VALUE), method: 'moments' };
  const ratio = (mean * mean) / variance;
  return { shape: 0.5 * (1 - ratio), scale: 0.5 * mean * (ratio + 1), method: 'moments' };
}

/** Sign changes of f on a log-spaced grid over [a, b] (same sign), each refined by bisection. */
function bracketRoots(f: (x: number) => number, a: number, b: number, steps: number): number[] {
  const grid: number[] = [];
  // Log spacing from the end nearest 0 resolves the roots close to it, where most of them lie.
  const [near, far] = Math.abs(a) < Math.abs(b) ? [a, b] : [b, a];
  for (let i = 0; i <= steps; i += 1) grid.push(near * Math.pow(far / near, i / steps));
  const roots: number[] = [];
  for (let i = 0; i < steps; i += 1) {
    let lo = grid[i] as number;
    let hi = grid[i + 1] as number;
    let flo = f(lo);
    const fhi = f(hi);
    if (!Number.isFinite(flo) || !Number.isFinite(fhi) || flo * fhi > 0) continue;
    for (let k = 0; k < 80; k += 1) {
      const mid = 0.5 * (lo + hi);
      const fm = f(mid);
      if (fm * flo <= 0) hi = mid;
      else {
        lo = mid;
        flo = fm;
      }
    }
    roots.push(0.5 * (lo + hi));
  }
  return roots;
}
