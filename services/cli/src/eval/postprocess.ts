/**
 * Online post-processing of per-row surprise for NAB (docs/evaluation.md). The output at row t is a
 * function of the inputs at rows <= t only.
 */

/** How per-row surprise (decades, log10(1/p)) becomes the surprise NAB's `anomaly_score` is made of. */
export interface PostprocessOptions {
  /**
   * Repeat suppression memory: a row keeps its surprise only if it is above `riseRatio` times every
   * surprise of the previous `suppressRows` rows, and gets 0 otherwise (0 turns suppression off).
   * For any threshold NAB's sweep picks, a crossing fires once, and the rows that stay above it (the
   * same anomaly sliding through the window, or a level that keeps creeping up) stay quiet until the
   * surprise clearly rises again or the memory expires.
   */
  readonly suppressRows: number;
  /** How much higher than the recent maximum a row must be to count as new (1: strictly higher). */
  readonly riseRatio: number;
}

/**
 * Applies repeat suppression to a whole column, row by row, in order. A monotone deque keeps the
 * maximum of the last `suppressRows` rows, so it is O(n) for any memory.
 */
export function suppressRepeats(surprise: ArrayLike<number>, options: PostprocessOptions): Float64Array {
  const n = surprise.length;
  const out = new Float64Array(n);
  const k = Math.max(0, Math.floor(options.suppressRows));
  if (k === 0) {
    for (let t = 0; t < n; t++) out[t] = surprise[t]!;
    return out;
  }
  const ratio = Math.max(1, options.riseRatio);
  // Indices of a decreasing sequence of surprises within the last k rows (front = the maximum).
  const deque = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let t = 0; t < n; t++) {
    while (head < tail && deque[head]! < t - k) head++;
    const s = surprise[t]!;
    const recentMax = head < tail ? surprise[deque[head]!]! : 0;
    out[t] = s > 0 && s > ratio * recentMax ? s : 0;
    while (head < tail && surprise[deque[tail - 1]!]! <= s) tail--;
    deque[tail++] = t;
  }
  return out;
}
