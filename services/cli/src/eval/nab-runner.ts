import { compileConfig, groupConfigSchema, type GroupConfig } from '@hourglass/core';
import type { Logger } from '@hourglass/runtime';
import { refitPolicy } from '@hourglass/trainer';
import { runNabScale, type NabCadence, type NabScaleRun } from './nab-scale';
import { suppressRepeats, type PostprocessOptions } from './postprocess';

/**
 * The model group `hourglass eval nab` uses when no `--config` is given: the defaults tuned on the
 * 41 development files of NAB (docs/evaluation.md). `match` is replaced per file, and
 * `window.lengthSteps` by each of NabRunnerOptions.windowSteps.
 */
export const NAB_DEFAULT_GROUP = {
  name: 'nab',
  match: { glob: '*' },
  window: { lengthSteps: 16, maxGapFillSteps: 64 },
  model: {
    type: 'undercomplete',
    layers: [16],
    latentSize: 4,
    epochs: 25,
    patience: 5,
    batchSize: 128,
    learningRate: 0.01,
  },
} as const;

/** How `hourglass eval nab` runs one file. */
export interface NabRunnerOptions extends NabCadence {
  /** The model group (window, episodes, model); its `match` is ignored. */
  readonly group: GroupConfig;
  /**
   * Window lengths W: one pipeline per length, each the group with only `window.lengthSteps`
   * replaced. A row's surprise is the largest of theirs (short windows react to a single odd value,
   * longer ones to shape changes; each surprise is calibrated on its own model's errors, so they compare).
   */
  readonly windowSteps: readonly number[];
  readonly postprocess: PostprocessOptions;
}

/** The schema's refit policy, which the runner changes only where it says so below. */
const SCHEMA_REFIT = refitPolicy(compileConfig({}));

export const NAB_RUNNER_DEFAULTS: Omit<NabRunnerOptions, 'group'> = {
  windowSteps: [8, 16],
  batchRows: 32,
  refitEveryWindows: 500,
  bufferMaxWindows: 1500,
  refit: {
    ...SCHEMA_REFIT, maxWindows: 1500, minWindows: 50, maxContamination: 0.1,
    // A file's first model is always taken: NAB's probation is all there is to fit it on, and
    // without a model nothing after it can be detected. Later models still face the gate.
    gate: { ...SCHEMA_REFIT.gate, falseAlarmBudget: 0.05, firstModelFalseAlarmBudget: 1 },
  },
  postprocess: { suppressRows: 300, riseRatio: 1.1 },
};

/** The group config of a file: the given group, defaulted, matching exactly this series. */
export function groupForSeries(group: unknown, series: string): GroupConfig {
  const base = groupConfigSchema.parse(group);
  return { ...base, match: { series: [series] } };
}

/** What the runner did to one series. Arrays have one entry per input row. */
export interface NabSeriesRun {
  /** One run per window length, in the order of `windowSteps`. */
  readonly scales: readonly NabScaleRun[];
  /** The largest surprise of the scales at the row, in decades (0 where none scored it). */
  readonly surprise: Float64Array;
  /** The lowest model threshold of the scales, on the anomaly_score scale (NaN before a model). */
  readonly threshold: Float64Array;
  /** NAB's anomaly_score: `surpriseToScore` of the surprise left by the online post-processing. */
  readonly anomalyScore: Float64Array;
  /** Rows at which a new model version started scoring, as `W<steps>:<version>`. */
  readonly modelChanges: { row: number; version: string }[];
  readonly probation: number;
  /** Fits over all scales. */
  readonly fits: { promoted: number; rejected: number; skipped: number };
  readonly rejectedPoints: number;
  readonly seconds: number;
}

/** Decades of surprise that map to an anomaly_score of 0.9 (and 2x that to 0.99). */
export const SURPRISE_SCALE_DECADES = 20;

/**
 * NAB's anomaly_score in [0, 1) from a surprise in decades: 1 - 10^(-d / 20). Monotone, so NAB's
 * threshold sweep sees the same order as the surprise; unlike the calibrated score (1 - p), it keeps
 * windows with p below 1e-16 apart instead of tying them all at exactly 1.
 */
export function surpriseToScore(decades: number): number {
  return decades > 0 ? 1 - 10 ** (-decades / SURPRISE_SCALE_DECADES) : 0;
}

/** Rows NAB keeps out of scoring at the start of a file: min(floor(0.15 n), 750). */
export function probationRows(n: number): number {
  return Math.min(Math.floor(0.15 * n), 750);
}

/**
 * Runs Hourglass over one series online at every window length of `options.windowSteps` (one
 * production pipeline each, see runNabScale), then combines them row by row: the surprise is the
 * largest, the post-processing reads rows <= t only. Nothing after a row can change its score.
 */
export async function runNabSeries(
  series: string,
  timestamps: readonly string[],
  values: ArrayLike<number>,
  options: NabRunnerOptions,
  hooks: { log?: Logger; onProgress?: (rows: number) => void } = {},
): Promise<NabSeriesRun> {
  const started = Date.now();
  const n = timestamps.length;
  const probation = probationRows(n);
  if (options.windowSteps.length === 0) throw new Error('eval nab needs at least one window length');
  const scales: NabScaleRun[] = [];
  for (const [k, steps] of options.windowSteps.entries()) {
    const group: GroupConfig = { ...options.group, window: { ...options.group.window, lengthSteps: steps }, match: { series: [series] } };
    const onProgress = hooks.onProgress;
    // Progress counts rows over all scales, scaled back to one pass over the file.
    const scaled = onProgress ? (rows: number) => onProgress(Math.floor((k * n + rows) / options.windowSteps.length)) : undefined;
    scales.push(await runNabScale(series, timestamps, values, group, options, probation, { ...(hooks.log ? { log: hooks.log } : {}), ...(scaled ? { onProgress: scaled } : {}) }));
  }
  const surprise = new Float64Array(n);
  const threshold = new Float64Array(n).fill(Number.NaN);
  for (let i = 0; i < n; i++) {
    let lowest = Number.POSITIVE_INFINITY;
    for (const s of scales) {
      surprise[i] = Math.max(surprise[i]!, s.surprise[i]!);
      if (Number.isFinite(s.thresholdSurprise[i]!)) lowest = Math.min(lowest, s.thresholdSurprise[i]!);
    }
    if (Number.isFinite(lowest)) threshold[i] = surpriseToScore(lowest);
  }
  const fits = { promoted: 0, rejected: 0, skipped: 0 };
  for (const s of scales) for (const key of ['promoted', 'rejected', 'skipped'] as const) fits[key] += s.fits[key];
  const modelChanges = scales
    .flatMap((s) => s.modelChanges.map((c) => ({ row: c.row, version: `W${s.windowSteps}:${c.version}` })))
    .sort((a, b) => a.row - b.row);
  return {
    scales, surprise, threshold, anomalyScore: suppressRepeats(surprise, options.postprocess).map(surpriseToScore), modelChanges, probation, fits,
    rejectedPoints: scales[0]!.rejectedPoints, seconds: (Date.now() - started) / 1000,
  };
}
