/**
 * Online post-processing of per-row scores for NAB (docs/evaluation.md). Every function here reads
 * rows up to t only: the output at row t is a function of the inputs at rows <= t.
 */

/** How per-row calibrated scores become NAB's `anomaly_score`. */
export interface PostprocessOptions {
  /**
   * Repeat suppression: a row keeps its score only if it is strictly higher than every score of the
   * previous `suppressRows` rows, and gets 0 otherwise (0 turns it off). For any threshold the NAB
   * sweep picks, a crossing fires once and the rows that stay above it (the same anomaly sliding
   * through the window) stay quiet until the score rises further or the memory expires.
   */
  readonly suppressRows: number;
  /**
   * Anomaly likelihood (as NAB's HTM detector post-processes its raw score, Ahmad et al. 2017):
   * the surprise z = -log10(1 - score) is averaged over the last `shortRows` rows and compared with
   * the mean and standard deviation of z over the last `longRows` rows before them; the output is
   * the Gaussian tail probability of that average, log-scaled into [0, 1]. 0 turns it off.
   */
  readonly likelihood: { readonly shortRows: number; readonly longRows: number };
}

export const POSTPROCESS_DEFAULTS: PostprocessOptions = { suppressRows: 0, likelihood: { shortRows: 0, longRows: 0 } };

/** log of the standard normal upper tail Q(z), accurate far into the tail. */
function logTail(z: number): number {
  if (z < 5) return Math.log(0.5 * erfc(z / Math.SQRT2));
  // Asymptotic series of Mills' ratio.
  const z2 = z * z;
  return -z2 / 2 - Math.log(z * Math.sqrt(2 * Math.PI)) + Math.log(1 - 1 / z2 + 3 / (z2 * z2));
}

/** Complementary error function (Numerical Recipes erfcc, relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/**
 * The anomaly likelihood of each row (see PostprocessOptions.likelihood), reading rows <= t only.
 * Rows with no score yet (0) and the first `shortRows + 10` scored rows give 0.
 */
export function anomalyLikelihood(scores: ArrayLike<number>, shortRows: number, longRows: number): Float64Array {
  const n = scores.length;
  const out = new Float64Array(n);
  const z = new Float64Array(n);
  for (let t = 0; t < n; t++) z[t] = scores[t]! > 0 ? -Math.log10(Math.max(1e-16, 1 - scores[t]!)) : Number.NaN;
  for (let t = 0; t < n; t++) {
    if (!Number.isFinite(z[t]!)) continue;
    let shortSum = 0;
    let shortN = 0;
    for (let k = Math.max(0, t - shortRows + 1); k <= t; k++) if (Number.isFinite(z[k]!)) { shortSum += z[k]!; shortN++; }
    let sum = 0;
    let sq = 0;
    let m = 0;
    for (let k = Math.max(0, t - shortRows - longRows + 1); k <= t - shortRows; k++) if (Number.isFinite(z[k]!)) { sum += z[k]!; sq += z[k]! * z[k]!; m++; }
    if (m < 10 || shortN === 0) continue;
    const mean = sum / m;
    const sd = Math.max(0.05, Math.sqrt(Math.max(0, sq / m - mean * mean)));
    const logQ = logTail((shortSum / shortN - mean) / sd);
    out[t] = Math.min(1, Math.max(0, -logQ / Math.LN10 / 40)); // 40 decades of rarity is full scale
  }
  return out;
}

/**
 * Applies the post-processing to a whole column, row by row, in order. Uses a monotone deque, so
 * it is O(n) for any `suppressRows`.
 */
export function postprocessScores(scores: ArrayLike<number>, options: PostprocessOptions): Float64Array {
  const lk = options.likelihood as PostprocessOptions["likelihood"] | undefined;
  if (lk && lk.shortRows > 0 && lk.longRows > 0) scores = anomalyLikelihood(scores, lk.shortRows, lk.longRows);
  const n = scores.length;
  const out = new Float64Array(n);
  const k = Math.max(0, Math.floor(options.suppressRows));
  if (k === 0) {
    for (let t = 0; t < n; t++) out[t] = scores[t]!;
    return out;
  }
  // Indices of a decreasing sequence of raw scores within the last k rows (front = the maximum).
  const deque = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let t = 0; t < n; t++) {
    while (head < tail && deque[head]! < t - k) head++;
    const s = scores[t]!;
    const recentMax = head < tail ? scores[deque[head]!]! : -Infinity;
    out[t] = s > recentMax ? s : 0;
    while (head < tail && scores[deque[tail - 1]!]! <= s) tail--;
    deque[tail++] = t;
  }
  return out;
}
