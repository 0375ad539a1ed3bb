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
}

export const POSTPROCESS_DEFAULTS: PostprocessOptions = { suppressRows: 0 };

/**
 * Applies the post-processing to a whole column, row by row, in order. Uses a monotone deque, so
 * it is O(n) for any `suppressRows`.
 */
export function postprocessScores(scores: ArrayLike<number>, options: PostprocessOptions): Float64Array {
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
