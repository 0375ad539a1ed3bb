import type { GroupConfig, HourglassConfig } from '@hourglass/core';
import type { Logger } from '@hourglass/runtime';
import { nabFileConfig, runNabScale, type NabScaleRun } from './nab-scale';

/**
 * How `hourglass eval nab` runs a file: the config `hourglass run` and the services would read (the
 * schema's defaults when no `--config` is given), and which of its groups. Nothing here is
 * evaluation-only: what is measured is what ships.
 */
export interface NabRunnerOptions {
  readonly config: HourglassConfig;
  /** The group of `config` to run (default: the first, which is the schema's `default` group when the config names none). */
  readonly group?: string;
}

/** The group a file runs with: the named one, else the config's first. */
export function nabGroup(options: NabRunnerOptions): GroupConfig {
  const group = options.group === undefined ? options.config.groups[0] : options.config.groups.find((g) => g.name === options.group);
  if (!group) throw new Error(options.group === undefined ? 'the config has no model groups' : `no model group '${options.group}' in the config`);
  return group;
}

/** What the runner did to one series. Arrays have one entry per input row. */
export interface NabSeriesRun {
  /** The pipeline's run (one; the report and the detail files keep a list for the window lengths a group may score with). */
  readonly scales: readonly NabScaleRun[];
  /** The surprise of the window ending at the row, in decades (0 where none scored it). */
  readonly surprise: Float64Array;
  /** The model threshold, on the anomaly_score scale (NaN before a model). */
  readonly threshold: Float64Array;
  /**
   * NAB's anomaly_score: at a row where the scorer opened an episode, `surpriseToScore` of that
   * window's surprise; 0 elsewhere. NAB counts what an operator is paged for: episodes (the group's
   * `episodes` policy: K anomalous windows to open, M normal ones to close), not every anomalous row.
   */
  readonly anomalyScore: Float64Array;
  /** Rows at which a new model version started scoring, as `W<steps>:<version>`. */
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
 * Runs Hourglass over one series online, as `hourglass run` would (runNabScale), and scores each
 * row where an episode opened with its surprise (NAB's sweep then picks how surprising an opening
 * must be). Nothing after a row can change its score.
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
  const config = nabFileConfig(options.config, nabGroup(options), series, probation);
  const scale = await runNabScale(series, timestamps, values, config, probation, hooks);
  const threshold = Float64Array.from(scale.thresholdSurprise, (t) => (Number.isFinite(t) ? surpriseToScore(t) : Number.NaN));
  return {
    scales: [scale], surprise: scale.surprise, threshold, anomalyScore: scale.openSurprise.map((d, i) => (scale.opened[i] === 1 ? surpriseToScore(d) : 0)),
    modelChanges: scale.modelChanges.map((c) => ({ row: c.row, version: `W${scale.windowSteps}:${c.version}` })),
    probation, fits: scale.fits, rejectedPoints: scale.rejectedPoints, seconds: (Date.now() - started) / 1000,
  };
}
