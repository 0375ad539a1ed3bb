import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupConfigSchema, type GroupConfig } from '@hourglass/core';
import { createLogger, createMetricsRegistry, type Logger } from '@hourglass/runtime';
import { REFIT_DEFAULTS, type RefitPolicy } from '@hourglass/trainer';
import { EmbeddedPipeline } from '../embedded/pipeline';
import { parseNabTimestamp } from './nab-results';
import { POSTPROCESS_DEFAULTS, postprocessScores, type PostprocessOptions } from './postprocess';

/**
 * The model group `hourglass eval nab` uses when no `--config` is given: the defaults tuned on the
 * 41 development files of NAB (docs/evaluation.md). `match` is replaced per file.
 */
export const NAB_DEFAULT_GROUP = {
  name: 'nab',
  match: { glob: '*' },
  window: { lengthSteps: 32, maxGapFillSteps: 64 },
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

/** How the trainer is driven over one file (the cadence a deployment would configure). */
export interface NabRunnerOptions {
  /** The model group (window, episodes, model); its `match` is ignored. */
  readonly group: GroupConfig;
  /** Rows between scoring flushes after the first fit (the scorer's micro-batch, in rows). */
  readonly batchRows: number;
  /** Refit after this many new clean windows (EmbeddedPipeline's refitEveryWindows; 0: first fit only). */
  readonly refitEveryWindows: number;
  /** Clean windows kept in the buffer (and read per fit). */
  readonly bufferMaxWindows: number;
  /** The trainer's policy; `minWindows` is what the first fit needs. */
  readonly refit: RefitPolicy;
  readonly postprocess: PostprocessOptions;
}

export const NAB_RUNNER_DEFAULTS: Omit<NabRunnerOptions, 'group'> = {
  batchRows: 32,
  refitEveryWindows: 1500,
  bufferMaxWindows: 1500,
  refit: { ...REFIT_DEFAULTS, maxWindows: 1500, minWindows: 50, maxContamination: 0.1, gate: { ...REFIT_DEFAULTS.gate, falseAlarmBudget: 0.05, firstModelFalseAlarmBudget: 0.05 } },
  postprocess: { ...POSTPROCESS_DEFAULTS, suppressRows: 400 },
};

/** The group config of a file: the given group, defaulted, matching exactly this series. */
export function groupForSeries(group: unknown, series: string): GroupConfig {
  const base = groupConfigSchema.parse(group);
  return { ...base, match: { series: [series] } };
}

/** What the runner did to one series. Arrays have one entry per input row. */
export interface NabSeriesRun {
  /** The calibrated score of the window ending at the row (0 where none was scored). */
  readonly calibrated: Float64Array;
  /** The raw reconstruction error of that window (NaN where none was scored). */
  readonly rawError: Float64Array;
  /** The window's surprise log10(1/p) in decades (p: its calibrated exceedance probability; 0 where none was scored). */
  readonly surprise: Float64Array;
  /** The model's threshold on the anomaly_score scale (surpriseToScore), at the row (NaN before the first model). */
  readonly threshold: Float64Array;
  /** 1 where the scorer declared the window anomalous. */
  readonly anomalous: Uint8Array;
  /** NAB's anomaly_score: `surpriseToScore(surprise)` after the online post-processing. */
  readonly anomalyScore: Float64Array;
  /** Rows at which a new model version started scoring, with its version. */
  readonly modelChanges: { row: number; version: string }[];
  readonly probation: number;
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
 * Runs Hourglass over one series online, through EmbeddedPipeline (the production windowing,
 * scorer stage, trainer stage and model registry): rows are offered one at a time in order; the
 * first flush happens at the end of the probationary period (so the first fit uses probation rows
 * only), later flushes every `batchRows` rows, and the pipeline refits from its own clean buffer
 * as the trainer would. A row's score is the calibrated score of the window ending at it, which
 * was computed by a model fitted only on windows that ended before that row's batch: nothing after
 * a row can change its score.
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
  const group = { ...options.group, match: { series: [series] } };
  const byEnd = new Map<number, { score: number; rawError: number; surprise: number; threshold: number; anomalous: boolean; version: string }>();
  let intervalMs = 0;
  const modelsDir = await mkdtemp(join(tmpdir(), 'hourglass-nab-'));
  const log = hooks.log ?? createLogger({ level: 'silent' });
  const pipeline = new EmbeddedPipeline({
    groups: [group], modelsDir, registry: createMetricsRegistry('hourglass-eval-nab'), log,
    onEvent: () => undefined,
    batchWindows: Number.MAX_SAFE_INTEGER, // flushes are driven below, on row counts
    refitEveryWindows: options.refitEveryWindows,
    refit: options.refit,
    bufferMaxWindows: options.bufferMaxWindows,
    // The first fit may use the whole probationary period (NAB's rule), not only its first windows.
    warmupWindows: Math.max(options.refit.minWindows, probation),
    maxLiveSeries: 16,
    onScored: (windows, scores, model) => {
      windows.forEach((w, i) => {
        const s = scores[i]!;
        intervalMs = w.intervalMs;
        byEnd.set(w.endMs, { score: s.score, rawError: s.rawError, surprise: s.surprise, threshold: model.threshold, anomalous: s.anomalous, version: model.version });
      });
    },
  });
  const times = new Float64Array(n);
  try {
    await pipeline.start();
    for (let i = 0; i < n; i++) {
      const t = parseNabTimestamp(timestamps[i]!);
      times[i] = t;
      const v = values[i]!;
      if (!Number.isFinite(t) || !Number.isFinite(v)) pipeline.reject('unparsable');
      else await pipeline.offer({ series, timestampMs: t, channels: ['value'], values: [v] }, t);
      const done = i + 1;
      if (done === probation || (done > probation && (done - probation) % options.batchRows === 0)) {
        await pipeline.flush();
        hooks.onProgress?.(done);
      }
    }
    await pipeline.finish();
    hooks.onProgress?.(n);
  } finally {
    await rm(modelsDir, { recursive: true, force: true });
  }

  const calibrated = new Float64Array(n);
  const rawError = new Float64Array(n).fill(Number.NaN);
  const surprise = new Float64Array(n);
  const threshold = new Float64Array(n).fill(Number.NaN);
  const anomalous = new Uint8Array(n);
  const modelChanges: { row: number; version: string }[] = [];
  let lastVersion = '';
  for (let i = 0; i < n; i++) {
    if (intervalMs <= 0 || !Number.isFinite(times[i]!)) continue;
    // The grid step the row snapped to (windowing snaps each point to the nearest step).
    const origin = group.window.gridOriginMs;
    const step = origin + Math.round((times[i]! - origin) / intervalMs) * intervalMs;
    const hit = byEnd.get(step);
    if (!hit) continue;
    calibrated[i] = Math.min(1, Math.max(0, hit.score));
    rawError[i] = hit.rawError;
    surprise[i] = hit.surprise;
    // The threshold is a calibrated score well below 1 (risk 1e-3 or so), so 1 - score loses nothing.
    threshold[i] = surpriseToScore(-Math.log10(Math.max(Number.MIN_VALUE, 1 - hit.threshold)));
    anomalous[i] = hit.anomalous ? 1 : 0;
    if (hit.version !== lastVersion) {
      modelChanges.push({ row: i, version: hit.version });
      lastVersion = hit.version;
    }
  }
  const fits = { promoted: 0, rejected: 0, skipped: 0 };
  for (const f of pipeline.stats.fits) fits[f.outcome.status]++;
  return {
    calibrated, rawError, surprise, threshold, anomalous, anomalyScore: postprocessScores(surprise.map(surpriseToScore), options.postprocess), modelChanges, probation, fits,
    rejectedPoints: pipeline.stats.rejected, seconds: (Date.now() - started) / 1000,
  };
}
