import type { RowWindow } from './nab-windows.js';

/** The weights of one NAB profile (a row of `config/profiles.json`'s `CostMatrix`). */
export interface CostMatrix {
  readonly tpWeight: number;
  readonly fpWeight: number;
  readonly fnWeight: number;
}

/**
 * NAB's scaled sigmoid: 2 / (1 + e^(5p)) - 1, clamped to exactly -1 beyond p = 3 (as NAB does) so a false
 * positive far from any window costs exactly -fpWeight.
 */
export function scaledSigmoid(position: number): number {
  if (position > 3) return -1;
  return 2 * (1 / (1 + Math.exp(5 * position))) - 1;
}

/** sigma(-1): the value of a detection on a window's first row; TP values are divided by it so that scores 1. */
const SIGMA_AT_WINDOW_START = scaledSigmoid(-1);

/** Rows NAB never scores at the start of a file of `n` rows: min(floor(0.15 n), 750), NAB's warm-up allowance. */
export function probationaryLength(n: number): number {
  return Math.min(Math.floor(0.15 * n), 750);
}

/**
 * One file ready to score under any profile and threshold. Everything here is profile-independent, so it
 * is computed once and reused across the three profiles and every threshold of a sweep.
 */
export interface PreparedFile {
  /** Identifies the file in errors and breakdowns (e.g. `realTraffic/speed_6005.csv`). */
  readonly name: string;
  readonly rows: number;
  /** Rows [0, probation) are ignored entirely. */
  readonly probation: number;
  readonly windows: readonly RowWindow[];
  /** Whether each window has at least one row after probation; only those count in the score and null score. */
  readonly scorable: readonly boolean[];
  readonly anomalyScores: Float64Array;
  /** Index into `windows` of the window holding each row, or -1 outside every window. */
  readonly rowWindow: Int32Array;
  /**
   * Per row: inside a window, sigma of the position -(end - i + 1) / width; outside, sigma of the position
   * past the last window that has ended, (i - end) / (width - 1), or -1 when none has ended yet.
   */
  readonly sigma: Float64Array;
}

/**
 * Precomputes NAB's per-row positions for one file. Windows must be sorted, disjoint and within the file
 * (windowsToRows guarantees that); windows in the probationary period still anchor later false positives,
 * as in NAB, where positions are tracked from row 0 and probation only filters which rows are scored.
 */
export function prepareFile(name: string, anomalyScores: ArrayLike<number>, windows: readonly RowWindow[]): PreparedFile {
  const n = anomalyScores.length;
  const scores = Float64Array.from(anomalyScores);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i] as number)) throw new RangeError(`${name}: anomaly score at row ${i} is NaN`);
  }
  const probation = probationaryLength(n);
  const rowWindow = new Int32Array(n).fill(-1);
  const sigma = new Float64Array(n);
  let prevEnd = -1;
  windows.forEach((w, k) => {
    if (!(Number.isInteger(w.start) && Number.isInteger(w.end) && 0 <= w.start && w.start <= w.end && w.end < n)) {
      throw new RangeError(`${name}: window ${k} (rows ${w.start}-${w.end}) is not within rows 0-${n - 1}`);
    }
    if (w.start <= prevEnd) throw new RangeError(`${name}: window ${k} overlaps or precedes window ${k - 1}`);
    prevEnd = w.end;
  });
  let next = 0; // next window not yet passed
  let prev: RowWindow | undefined;
  for (let i = 0; i < n; i++) {
    const cur = windows[next];
    if (cur !== undefined && i >= cur.start) {
      const width = cur.end - cur.start + 1;
      rowWindow[i] = next;
      sigma[i] = scaledSigmoid(-(cur.end - i + 1) / width);
      if (i === cur.end) {
        prev = cur;
        next++;
      }
    } else if (prev !== undefined) {
      // NAB divides by (width - 1); a one-row window would divide by zero, so treat it as "far away".
      const width = prev.end - prev.start + 1;
      sigma[i] = width > 1 ? scaledSigmoid(Math.abs(i - prev.end) / (width - 1)) : -1;
    } else {
      sigma[i] = -1;
    }
  }
  const scorable = windows.map((w) => w.end >= probation);
  return { name, rows: n, probation, windows, scorable, anomalyScores: scores, rowWindow, sigma };
}

/**
 * Row counts follow NAB's sweeper: over the scored (post-probation) rows, a row inside a window is tp when
 * detected and fn otherwise; outside, fp when detected and tn otherwise.
 */
export interface Counts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** One file scored under one profile at one threshold. */
export interface FileScore extends Counts {
  readonly name: string;
  readonly threshold: number;
  /** Sum of the window TP/FN values and FP costs. */
  readonly raw: number;
  /** What a detector that never fires scores: -fnWeight per scorable window. */
  readonly null: number;
  /** What an ideal detector scores: tpWeight per labelled window, probationary ones included. */
  readonly perfect: number;
  readonly windows: number;
  readonly scorableWindows: number;
  readonly detectedWindows: number;
  /**
   * NAB's per-row `S(t)` in its older result-file format: 0 everywhere except each scorable window's first
   * row, which carries that window's TP value (or -fnWeight), and each false-positive row's cost.
   */
  readonly rowScores: Float64Array;
}

/**
 * Scores one prepared file: a detection is `anomaly_score >= threshold`; only the earliest detection in a
 * window counts (later ones are neither TP nor FP); detections outside windows cost fpWeight * sigma.
 */
export function scoreFile(file: PreparedFile, threshold: number, cost: CostMatrix): FileScore {
  const { rows, probation, windows, scorable, anomalyScores, rowWindow, sigma } = file;
  const firstDetection = new Int32Array(windows.length).fill(-1);
  const rowScores = new Float64Array(rows);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  let fpTotal = 0;
  for (let i = probation; i < rows; i++) {
    const detected = (anomalyScores[i] as number) >= threshold;
    const w = rowWindow[i] as number;
    if (w >= 0) {
      if (detected) {
        tp++;
        if (firstDetection[w] === -1) firstDetection[w] = i;
      } else {
        fn++;
      }
    } else if (detected) {
      fp++;
      const v = cost.fpWeight * (sigma[i] as number);
      rowScores[i] = v;
      fpTotal += v;
    } else {
      tn++;
    }
  }
  let windowTotal = 0;
  let scorableWindows = 0;
  let detectedWindows = 0;
  windows.forEach((win, k) => {
    if (!scorable[k]) return;
    scorableWindows++;
    const first = firstDetection[k] as number;
    let v: number;
    if (first >= 0) {
      detectedWindows++;
      v = (cost.tpWeight * (sigma[first] as number)) / SIGMA_AT_WINDOW_START;
    } else {
      v = -cost.fnWeight;
    }
    rowScores[win.start] = v;
    windowTotal += v;
  });
  return {
    name: file.name,
    threshold,
    raw: windowTotal + fpTotal,
    null: 0 - cost.fnWeight * scorableWindows, // 0 - x, not -x: no -0 without windows
    perfect: cost.tpWeight * windows.length,
    windows: windows.length,
    scorableWindows,
    detectedWindows,
    tp,
    fp,
    fn,
    tn,
    rowScores,
  };
}

/** The TP value of the earliest detection at row `i` of a window (used by the sweep's incremental update). */
export function truePositiveValue(sigmaAtRow: number, cost: CostMatrix): number {
  return (cost.tpWeight * sigmaAtRow) / SIGMA_AT_WINDOW_START;
}

/**
 * NAB normalisation: 100 * (raw - null) / (perfect - null), so the null detector scores 0 and a perfect one
 * 100. NaN when perfect equals null (no labelled windows at all), where the ratio means nothing.
 */
export function normalizeScore(raw: number, nullScore: number, perfect: number): number {
  const span = perfect - nullScore;
  return span === 0 ? NaN : (100 * (raw - nullScore)) / span;
}
