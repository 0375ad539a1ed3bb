import { truePositiveValue, type CostMatrix, type PreparedFile } from './nab-scorer.js';

/** The threshold NAB always tries besides the pooled scores; above any score in [0, 1], so "never detect". */
export const NO_DETECTION_THRESHOLD = 1.1;

/**
 * All scored (post-probation) rows of a set of files, sorted once by descending anomaly score. It is
 * profile-independent, so one pool serves the sweeps of all three profiles.
 */
export interface ScorePool {
  readonly size: number;
  /** Anomaly scores, sorted descending. */
  readonly scores: Float64Array;
  /** Global window id per pooled row (-1 outside windows), in the same order as `scores`. */
  readonly windowIds: Int32Array;
  /** NAB sigma of each pooled row's position, in the same order as `scores`. */
  readonly sigma: Float64Array;
  /** Number of scorable windows across the files (what the null detector is charged for). */
  readonly scorableWindows: number;
  readonly totalWindows: number;
}

/** Pools and sorts the scored rows of `files`; O(R log R) for R rows, done once per detector. */
export function buildScorePool(files: readonly PreparedFile[]): ScorePool {
  let size = 0;
  for (const f of files) size += f.rows - f.probation;
  const rawScores = new Float64Array(size);
  const rawWindows = new Int32Array(size);
  const rawSigma = new Float64Array(size);
  let at = 0;
  let windowBase = 0;
  let scorableWindows = 0;
  for (const f of files) {
    for (let i = f.probation; i < f.rows; i++, at++) {
      rawScores[at] = f.anomalyScores[i] as number;
      const w = f.rowWindow[i] as number;
      rawWindows[at] = w >= 0 ? windowBase + w : -1;
      rawSigma[at] = f.sigma[i] as number;
    }
    windowBase += f.windows.length;
    scorableWindows += f.scorable.filter(Boolean).length;
  }
  const order = new Uint32Array(size);
  for (let i = 0; i < size; i++) order[i] = i;
  order.sort((a, b) => (rawScores[b] as number) - (rawScores[a] as number));
  const scores = new Float64Array(size);
  const windowIds = new Int32Array(size);
  const sigma = new Float64Array(size);
  for (let k = 0; k < size; k++) {
    const r = order[k] as number;
    scores[k] = rawScores[r] as number;
    windowIds[k] = rawWindows[r] as number;
    sigma[k] = rawSigma[r] as number;
  }
  return { size, scores, windowIds, sigma, scorableWindows, totalWindows: windowBase };
}

/** Outcome of a sweep: the best threshold and its pooled raw score. */
export interface SweepResult {
  readonly threshold: number;
  readonly raw: number;
  /** How many thresholds were tried (distinct pooled scores plus 1.1). */
  readonly thresholdsTried: number;
  /** Every (threshold, raw) pair in descending threshold order, only when asked for (for tests and plots). */
  readonly curve?: { readonly thresholds: Float64Array; readonly raws: Float64Array };
}

/**
 * NAB's threshold sweep over a pool: tries every distinct pooled score and 1.1, keeps the best raw score,
 * and on an exact tie keeps the higher threshold. Lowers the threshold one score group at a time and
 * updates the raw score incrementally, so the whole sweep is O(R) after the pool's sort.
 */
export function sweepThresholds(pool: ScorePool, cost: CostMatrix, options: { curve?: boolean } = {}): SweepResult {
  const { size, scores, windowIds, sigma } = pool;
  // Best TP value per global window so far; NaN = not yet detected (still charged -fnWeight).
  const best = new Float64Array(pool.totalWindows).fill(NaN);
  let raw = 0 - cost.fnWeight * pool.scorableWindows; // 0 - x, not -x: no -0 for files without windows
  let bestRaw = -Infinity;
  let bestThreshold = NaN;
  let tried = 0;
  const curveT: number[] = [];
  const curveR: number[] = [];
  let p = 0;
  const evaluate = (threshold: number): void => {
    // Lowering the threshold to `threshold` detects every row with score >= it.
    while (p < size && (scores[p] as number) >= threshold) {
      const w = windowIds[p] as number;
      if (w >= 0) {
        // Rows are visited by score, not time, but the earliest detection has the largest sigma, so keeping
        // the maximum TP value per window is the same as keeping the earliest detection.
        const v = truePositiveValue(sigma[p] as number, cost);
        const cur = best[w] as number;
        if (Number.isNaN(cur)) {
          raw += cost.fnWeight + v;
          best[w] = v;
        } else if (v > cur) {
          raw += v - cur;
          best[w] = v;
        }
      } else {
        raw += cost.fpWeight * (sigma[p] as number);
      }
      p++;
    }
    tried++;
    if (options.curve) {
      curveT.push(threshold);
      curveR.push(raw);
    }
    // Strictly greater: thresholds are visited in descending order, so an exact tie keeps the higher one.
    if (raw > bestRaw) {
      bestRaw = raw;
      bestThreshold = threshold;
    }
  };
  let triedNoDetection = false;
  while (p < size) {
    const s = scores[p] as number;
    if (!triedNoDetection && s <= NO_DETECTION_THRESHOLD) {
      if (s < NO_DETECTION_THRESHOLD) evaluate(NO_DETECTION_THRESHOLD);
      triedNoDetection = true;
    }
    evaluate(s);
  }
  if (!triedNoDetection) evaluate(NO_DETECTION_THRESHOLD);
  const result: SweepResult = { threshold: bestThreshold, raw: bestRaw, thresholdsTried: tried };
  return options.curve
    ? { ...result, curve: { thresholds: Float64Array.from(curveT), raws: Float64Array.from(curveR) } }
    : result;
}
