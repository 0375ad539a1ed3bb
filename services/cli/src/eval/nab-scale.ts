import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GroupConfig, HourglassConfig } from '@hourglass/core';
import { createLogger, createMetricsRegistry, type Logger } from '@hourglass/runtime';
import { EmbeddedPipeline } from '@hourglass/pipeline';
import { parseNabTimestamp } from './nab-results';
import { rowsSeeingOpens } from './open-rows';

/**
 * The config one file runs under: `config` as `hourglass run` reads it, with the group matching
 * only this series, and the one thing NAB's rules fix: the probationary period is the warm-up. The
 * scorer buffers all of it for the first fit (`scorer.warmupWindows`), and the first fit happens at
 * its end on whatever windows it produced (`trainer.minWindows` 1: a short file, or one with gaps,
 * would otherwise get its first model only at the next flush, `scorer.batchMaxWindows` windows
 * later, or never). Nothing flushes before the end of probation as long as `batchMaxWindows` is
 * larger than the probation (at most 750 rows; the default is 2048).
 */
export function nabFileConfig(config: HourglassConfig, group: GroupConfig, series: string, probation: number): HourglassConfig {
  return {
    ...config,
    groups: [{ ...group, match: { series: [series] } }],
    scorer: { ...config.scorer, warmupWindows: Math.max(config.scorer.warmupWindows, probation) },
    trainer: { ...config.trainer, minWindows: 1 },
  };
}

/** What one pipeline (one window length) did to a series. Arrays have one entry per input row. */
export interface NabScaleRun {
  readonly windowSteps: number;
  /** The calibrated score of the window ending at the row (0 where none was scored). */
  readonly calibrated: Float64Array;
  /** The raw reconstruction error of that window (NaN where none was scored). */
  readonly rawError: Float64Array;
  /** The window's surprise log10(1/p) in decades (p: its calibrated exceedance probability; 0 where none was scored). */
  readonly surprise: Float64Array;
  /** The model's threshold as a surprise in decades, at the row (NaN before the first model). */
  readonly thresholdSurprise: Float64Array;
  /** 1 where the scorer declared the window anomalous. */
  readonly anomalous: Uint8Array;
  /** The expected-value band at the row (the newest step of the window ending there; docs/scorer.md): NaN where none. */
  readonly expected: Float64Array;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /**
   * 1 where an operator sees an episode's `open` event: at the row of the window's step, or, when
   * that step has no row (irregular series), at the first row after it (open-rows.ts).
   */
  readonly opened: Uint8Array;
  /** The surprise of the window whose open the row sees (0 where it sees none). */
  readonly openSurprise: Float64Array;
  /** Rows at which a new model version started scoring, with its version. */
  readonly modelChanges: { row: number; version: string }[];
  readonly fits: { promoted: number; rejected: number; skipped: number };
  readonly rejectedPoints: number;
}

/**
 * Runs one series online through one EmbeddedPipeline, exactly as `hourglass run` would run the
 * file under `config` (nabFileConfig): rows are offered one at a time in order; the first flush
 * happens at the end of the probationary period, so the first fit uses all of it and nothing after
 * it; after that the pipeline flushes every `scorer.batchMaxWindows` windows and refits on the
 * trainer's schedule, on the file's event time. A row's score is that of the window ending at it,
 * computed by a model fitted only on windows of earlier batches: nothing after a row can change it.
 */
export async function runNabScale(
  series: string,
  timestamps: readonly string[],
  values: ArrayLike<number>,
  config: HourglassConfig,
  probation: number,
  hooks: { log?: Logger; onProgress?: (rows: number) => void } = {},
): Promise<NabScaleRun> {
  const n = timestamps.length;
  const group = config.groups[0]!;
  const byEnd = new Map<number, { score: number; rawError: number; surprise: number; threshold: number; anomalous: boolean; version: string }>();
  const opens = new Set<number>();
  const bandByEnd = new Map<number, { expected: number; lower: number | null; upper: number | null }>();
  let intervalMs = 0;
  const modelsDir = await mkdtemp(join(tmpdir(), 'hourglass-nab-'));
  const pipeline = new EmbeddedPipeline({
    config, modelsDir, registry: createMetricsRegistry('hourglass-eval-nab'), log: hooks.log ?? createLogger({ level: 'silent' }),
    onEvent: (event) => {
      if (event.state === 'open') opens.add(Date.parse(event.windowEnd));
    },
    onBands: (windows, bands) => {
      windows.forEach((w, i) => {
        const c = bands[i]?.channels[0];
        if (c) bandByEnd.set(w.endMs, { expected: c.expected, lower: c.lower, upper: c.upper });
      });
    },
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
      if (done === probation) await pipeline.flush();
      if (done % 256 === 0) hooks.onProgress?.(done);
    }
    await pipeline.finish();
    hooks.onProgress?.(n);
  } finally {
    await rm(modelsDir, { recursive: true, force: true });
  }

  const calibrated = new Float64Array(n);
  const rawError = new Float64Array(n).fill(Number.NaN);
  const surprise = new Float64Array(n);
  const thresholdSurprise = new Float64Array(n).fill(Number.NaN);
  const anomalous = new Uint8Array(n);
  const opened = new Uint8Array(n);
  const openSurprise = new Float64Array(n);
  const rowSteps = new Float64Array(n).fill(Number.NaN);
  const [expected, lower, upper] = [0, 1, 2].map(() => new Float64Array(n).fill(Number.NaN)) as [Float64Array, Float64Array, Float64Array];
  const modelChanges: { row: number; version: string }[] = [];
  let lastVersion = '';
  for (let i = 0; i < n; i++) {
    if (intervalMs <= 0 || !Number.isFinite(times[i]!)) continue;
    // The grid step the row snapped to (windowing snaps each point to the nearest step).
    const origin = group.window.gridOriginMs;
    const step = origin + Math.round((times[i]! - origin) / intervalMs) * intervalMs;
    rowSteps[i] = step;
    const hit = byEnd.get(step);
    if (!hit) continue;
    calibrated[i] = Math.min(1, Math.max(0, hit.score));
    rawError[i] = hit.rawError;
    surprise[i] = hit.surprise;
    // The threshold is a calibrated score well below 1 (risk 1e-3 or so), so 1 - score loses nothing.
    thresholdSurprise[i] = -Math.log10(Math.max(Number.MIN_VALUE, 1 - hit.threshold));
    anomalous[i] = hit.anomalous ? 1 : 0;
    const band = bandByEnd.get(step);
    if (band) {
      expected[i] = band.expected;
      lower[i] = band.lower ?? Number.NaN;
      upper[i] = band.upper ?? Number.NaN;
    }
    if (hit.version !== lastVersion) {
      modelChanges.push({ row: i, version: hit.version });
      lastVersion = hit.version;
    }
  }
  for (const [row, end] of rowsSeeingOpens(opens, rowSteps)) {
    opened[row] = 1;
    openSurprise[row] = byEnd.get(end)?.surprise ?? 0;
  }
  const fits = { promoted: 0, rejected: 0, skipped: 0 };
  for (const f of pipeline.stats.fits) fits[f.outcome.status]++;
  return { windowSteps: group.window.lengthSteps, calibrated, rawError, surprise, thresholdSurprise, anomalous, expected, lower, upper, opened, openSurprise, modelChanges, fits, rejectedPoints: pipeline.stats.rejected };
}
