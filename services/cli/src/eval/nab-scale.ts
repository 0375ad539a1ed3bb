import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileConfig, type GroupConfig, type HourglassConfig } from '@hourglass/core';
import { createLogger, createMetricsRegistry, type Logger } from '@hourglass/runtime';
import type { RefitPolicy } from '@hourglass/trainer';
import { EmbeddedPipeline } from '../embedded/pipeline';
import { parseNabTimestamp } from './nab-results';

/** How the trainer is driven over one file (the cadence a deployment would configure). */
export interface NabCadence {
  /** Rows between scoring flushes after the first fit (the scorer's micro-batch, in rows). */
  readonly batchRows: number;
  /** Refit after this many new clean windows (`trainer.refitAfterNewWindows`; 0: the first fit only). */
  readonly refitEveryWindows: number;
  /** Clean windows kept in the buffer (and read per fit). */
  readonly bufferMaxWindows: number;
  /** The trainer's policy; `minWindows` is what the first fit needs. */
  readonly refit: RefitPolicy;
}

/** A day of event time: how long a group waits after a refused fit before NAB's runner tries again. */
const NAB_RETRY_AFTER_MISS_MS = 86_400_000;

/**
 * The embedded config of one file's pipeline: the schema's defaults with the group and the cadence
 * written into the `scorer` and `trainer` sections, which EmbeddedPipeline reads as the services do.
 * The runner refits on new clean windows only (no interval); after a refused fit it waits a day of
 * event time (about 288 rows of a five-minute file), as the trainer waits `retryAfterMissMs`.
 */
export function nabPipelineConfig(group: GroupConfig, cadence: NabCadence): HourglassConfig {
  const base = compileConfig({});
  const r = cadence.refit;
  return {
    ...base,
    groups: [group],
    ingest: { ...base.ingest, maxLiveSeries: 16 },
    scorer: { ...base.scorer, bufferMaxWindows: cadence.bufferMaxWindows },
    trainer: {
      ...base.trainer,
      maxWindows: r.maxWindows, minWindows: r.minWindows, holdoutFraction: r.holdoutFraction, maxContamination: r.maxContamination, lockTtlMs: r.lockTtlMs,
      gateErrorTolerance: r.gate.errorTolerance, gateFalseAlarmBudget: r.gate.falseAlarmBudget, gateFirstModelFalseAlarmBudget: r.gate.firstModelFalseAlarmBudget,
      refitAfterNewWindows: cadence.refitEveryWindows > 0 ? cadence.refitEveryWindows : Number.MAX_SAFE_INTEGER,
      refitIntervalMs: Number.MAX_SAFE_INTEGER,
      retryAfterMissMs: NAB_RETRY_AFTER_MISS_MS,
    },
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
  /** Rows at which a new model version started scoring, with its version. */
  readonly modelChanges: { row: number; version: string }[];
  readonly fits: { promoted: number; rejected: number; skipped: number };
  readonly rejectedPoints: number;
}

/**
 * Runs one series online through one EmbeddedPipeline (the production windowing, scorer stage,
 * trainer stage and model registry): rows are offered one at a time in order; the first flush
 * happens at the end of the probationary period (so the first fit uses probation rows only, all of
 * them), later flushes every `batchRows` rows, and the pipeline refits from its own clean buffer as
 * the trainer would. A row's score is that of the window ending at it, computed by a model fitted
 * only on windows that ended before that row's batch: nothing after a row can change its score.
 */
export async function runNabScale(
  series: string,
  timestamps: readonly string[],
  values: ArrayLike<number>,
  group: GroupConfig,
  cadence: NabCadence,
  probation: number,
  hooks: { log?: Logger; onProgress?: (rows: number) => void } = {},
): Promise<NabScaleRun> {
  const n = timestamps.length;
  const byEnd = new Map<number, { score: number; rawError: number; surprise: number; threshold: number; anomalous: boolean; version: string }>();
  let intervalMs = 0;
  const modelsDir = await mkdtemp(join(tmpdir(), 'hourglass-nab-'));
  const pipeline = new EmbeddedPipeline({
    config: nabPipelineConfig(group, cadence), modelsDir, registry: createMetricsRegistry('hourglass-eval-nab'), log: hooks.log ?? createLogger({ level: 'silent' }),
    onEvent: () => undefined,
    batchWindows: Number.MAX_SAFE_INTEGER, // flushes are driven below, on row counts
    // The first fit may use the whole probationary period (NAB's rule), not only its first windows.
    warmupWindows: Math.max(cadence.refit.minWindows, probation),
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
      if (done === probation || (done > probation && (done - probation) % cadence.batchRows === 0)) {
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
  const thresholdSurprise = new Float64Array(n).fill(Number.NaN);
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
    thresholdSurprise[i] = -Math.log10(Math.max(Number.MIN_VALUE, 1 - hit.threshold));
    anomalous[i] = hit.anomalous ? 1 : 0;
    if (hit.version !== lastVersion) {
      modelChanges.push({ row: i, version: hit.version });
      lastVersion = hit.version;
    }
  }
  const fits = { promoted: 0, rejected: 0, skipped: 0 };
  for (const f of pipeline.stats.fits) fits[f.outcome.status]++;
  return { windowSteps: group.window.lengthSteps, calibrated, rawError, surprise, thresholdSurprise, anomalous, modelChanges, fits, rejectedPoints: pipeline.stats.rejected };
}
