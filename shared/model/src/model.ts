import { HourglassError, type ExpectedBand, type Explanation, type Window, type WindowScore } from '@hourglass/core';
import { bandOffsets } from './band';
import { type ModelManifest, encodeArtifact } from './artifact';
import type { Tf } from './backend';
import { type PrepareOptions, type Prepared, checkShape, prepare, selectRows, toDataUnits } from './data';
import { explain } from './explain';
import { NO_SEASONALITY, type Seasonality, profileAt } from './seasonality';
import type { Autoencoder } from './models/index';
import { calibrate, networkCodes, networkErrors, networkReconstruction, scoreNetwork } from './scoring';

/**
 * The lean verdicts on a batch of windows, column by column (index i is the batch's window i).
 * Explanations are computed on request, for the few windows that need one (those that emit an
 * event), by running the network again on just those rows.
 */
export interface ScoreBatch {
  readonly n: number;
  readonly rawError: Float64Array;
  readonly score: Float64Array;
  readonly severity: Float64Array;
  readonly surprise: Float64Array;
  /** 1 where rawError is strictly above the threshold (never for a window with nothing observed) and the deviation goes the configured direction. */
  readonly anomalous: Uint8Array;
  /** 1 where rawError is strictly above the threshold, whatever the direction (what the clean buffer keeps out). */
  readonly aboveThreshold: Uint8Array;
  readonly observed: Int32Array;
  /** The explanations of windows `rows`, in that order; throws MODEL_DISPOSED once the model is disposed. */
  explain(rows: readonly number[]): Explanation[];
}

/**
 * A fitted model: a network with its normalisation, calibration and threshold. Scoring is
 * stateless (SPOT updates are the scorer's business); dispose() frees the TensorFlow memory.
 */
export class AnomalyModel {
  private disposed = false;

  /** @internal Use fitModel or loadModel. */
  constructor(
    private readonly tf: Tf,
    private readonly net: Autoencoder,
    /** Everything but the weights: type, config, shape, normalisation, calibration, threshold, training report. */
    readonly manifest: ModelManifest,
  ) {}

  /** The cycle removed from windows before the network (none for models fitted without one). */
  get seasonality(): Seasonality {
    return this.manifest.seasonality ?? NO_SEASONALITY;
  }

  /** How prepare() sees this model's windows: its seasonal profile, and its level setting (absolute for models fitted before it existed). */
  private get seeing(): PrepareOptions {
    return { seasonality: this.seasonality, level: this.manifest.config.level ?? 'absolute' };
  }

  /** The raw-error threshold and its calibrated score. */
  get threshold(): { readonly rawError: number; readonly score: number } {
    const value = this.manifest.threshold.value;
    return { rawError: value, score: calibrate(this.manifest.calibration, value).score };
  }

  /** Scores windows in order; throws MODEL_INPUT_INVALID when a window's shape differs from the model's. */
  score(windows: readonly Window[]): WindowScore[] {
    this.ensureLive();
    if (windows.length === 0) return [];
    const { shape, normalisation, calibration, threshold, config } = this.manifest;
    checkShape(windows, shape);
    const data = prepare(windows, shape, normalisation, this.seeing);
    const raw = scoreNetwork(this.tf, this.net, data);
    const above = Uint8Array.from(windows, (_, i) => (data.observed[i] !== 0 && (raw.rawError[i] as number) > threshold.value ? 1 : 0));
    const anomalous = this.directional(data, above);
    return windows.map((_, i) => {
      const rawError = raw.rawError[i] as number;
      // A window with nothing observed has nothing to judge: it is reported as normal, never as an anomaly.
      const { score, severity, surprise } = data.observed[i] === 0 ? { score: 0, severity: 0, surprise: 0 } : calibrate(calibration, rawError);
      return {
        rawError,
        score,
        severity,
        surprise,
        anomalous: anomalous[i] === 1,
        aboveThreshold: above[i] === 1,
        explanation: explain(raw.contributions.subarray(i * data.dim, (i + 1) * data.dim), windows[i]!, shape.steps, shape.channels, config.explanation.topK),
      };
    });
  }

  /**
   * Scores windows the lean way (the scorer's hot path): raw errors reduced on the backend and only
   * they downloaded, no mask when nothing is missing, no contributions or explanations until asked
   * for. The verdicts equal score()'s within float32 rounding (test: lean-scoring.test.ts).
   */
  scoreBatch(windows: readonly Window[]): ScoreBatch {
    this.ensureLive();
    const { shape, normalisation, calibration, threshold, config } = this.manifest;
    if (windows.length > 0) checkShape(windows, shape);
    const data = prepare(windows, shape, normalisation, this.seeing);
    const rawError = networkErrors(this.tf, this.net, data, config.type === 'variational' ? config.variational.samples : 1);
    const n = windows.length;
    const score = new Float64Array(n);
    const severity = new Float64Array(n);
    const surprise = new Float64Array(n);
    const aboveThreshold = new Uint8Array(n);
    for (let i = 0; i < n; i += 1) {
      if (data.observed[i] === 0) continue; // nothing observed: reported as normal, with score 0
      const c = calibrate(calibration, rawError[i] as number);
      score[i] = c.score;
      severity[i] = c.severity;
      surprise[i] = c.surprise;
      aboveThreshold[i] = (rawError[i] as number) > threshold.value ? 1 : 0;
    }
    const anomalous = this.directional(data, aboveThreshold);
    const explainRows = (rows: readonly number[]): Explanation[] => {
      this.ensureLive();
      if (rows.length === 0) return [];
      const subset = selectRows(data, rows);
      const { contributions } = scoreNetwork(this.tf, this.net, subset);
      // The expected values at the top steps: one more pass, over these few rows only.
      const recon = networkReconstruction(this.tf, this.net, subset);
      return rows.map((row, i) => {
        const e = explain(contributions.subarray(i * data.dim, (i + 1) * data.dim), windows[row]!, shape.steps, shape.channels, config.explanation.topK);
        const window = windows[row]!;
        const expected = recon.subarray(i * data.dim, (i + 1) * data.dim);
        const level = rowLevel(subset, i);
        return { ...e, topSteps: e.topSteps.map((step) => ({ ...step, values: shape.channels.map((channel, c) => this.stepValue(window, expected, level, step.step, c, channel)) })) };
      });
    };
    return { n, rawError, score, severity, surprise, anomalous, aboveThreshold, observed: data.observed, explain: explainRows };
  }

  /**
   * The verdicts after `model.direction`: `above` itself for `both`; otherwise only the windows
   * above the threshold whose deviation goes that way. A window's deviation is the sum over its
   * observed values of (actual - expected)·|actual - expected|: the signed squared error, so its
   * sign is the sign of the largest deviations, which are what put it above the threshold. One
   * more network pass, over the windows above the threshold only (few, and none on a quiet batch).
   */
  private directional(data: Prepared, above: Uint8Array): Uint8Array {
    const direction = this.manifest.config.direction ?? 'both';
    if (direction === 'both') return above;
    const rows: number[] = [];
    above.forEach((a, i) => {
      if (a === 1) rows.push(i);
    });
    const out = new Uint8Array(above.length);
    if (rows.length === 0) return out;
    const subset = selectRows(data, rows);
    const recon = networkReconstruction(this.tf, this.net, subset);
    rows.forEach((row, i) => {
      let deviation = 0;
      for (let k = i * subset.dim; k < (i + 1) * subset.dim; k += 1) {
        if (subset.mask[k] !== 1) continue;
        const d = (subset.x[k] as number) - (recon[k] as number);
        deviation += d * Math.abs(d);
      }
      if (direction === 'up' ? deviation > 0 : deviation < 0) out[row] = 1;
    });
    return out;
  }

  /**
   * The expected-value band at each window's newest step (docs/scorer.md): the reconstruction in
   * data units, and around it the interval that held `coverage` of the validation windows'
   * newest-step errors. One network pass over just these windows: the scorer asks only for series
   * with a gauge and for windows that emit an event. A model fitted before bands existed gives
   * the expected value with null bounds.
   */
  bands(windows: readonly Window[], coverage: number): ExpectedBand[] {
    this.ensureLive();
    if (windows.length === 0) return [];
    const { shape, normalisation, band } = this.manifest;
    checkShape(windows, shape);
    const data = prepare(windows, shape, normalisation, this.seeing);
    const recon = networkReconstruction(this.tf, this.net, data);
    const newest = shape.steps - 1;
    const offsets = shape.channels.map((_, c) => (band ? bandOffsets(band, c, coverage) : null));
    return windows.map((window, i) => {
      const expected = recon.subarray(i * data.dim, (i + 1) * data.dim);
      const level = rowLevel(data, i);
      return {
        ts: window.endMs,
        coverage,
        channels: shape.channels.map((channel, c) => {
          const value = this.stepValue(window, expected, level, newest, c, channel);
          const k = newest * shape.channels.length + c;
          const off = offsets[c];
          const typical = profileAt(this.seasonality, c, window.endMs) + (level[c] as number);
          const denorm = (v: number) => toDataUnits(normalisation, c, v + typical);
          return { ...value, lower: off ? denorm((expected[k] as number) + off.lower) : null, upper: off ? denorm((expected[k] as number) + off.upper) : null };
        }),
      };
    });
  }

  /** A window's actual and expected value of channel c at step t, in data units; `level` is what prepare took out of the window, per channel. */
  private stepValue(window: Window, expected: Float32Array, level: ArrayLike<number>, t: number, c: number, channel: string): { channel: string; actual: number | null; expected: number } {
    const { normalisation, shape } = this.manifest;
    const k = t * shape.channels.length + c;
    const v = window.values[k] as number;
    // The network's output is relative to the seasonal profile and the window's level, as its input was.
    const typical = profileAt(this.seasonality, c, window.startMs + t * window.intervalMs) + (level[c] as number);
    return { channel, actual: window.mask[k] === 1 && Number.isFinite(v) ? v : null, expected: toDataUnits(normalisation, c, (expected[k] as number) + typical) };
  }

  /**
   * The code of each window (for the VAE, the encoder mean), one network pass over just these
   * windows: the scorer asks only for windows that emit an event, and for stored episodes when a
   * new version arrives (docs/incidents.md, "Codes and hashes").
   */
  encode(windows: readonly Window[]): Float32Array[] {
    this.ensureLive();
    if (windows.length === 0) return [];
    const { shape, normalisation } = this.manifest;
    checkShape(windows, shape);
    const { codes, size } = networkCodes(this.tf, this.net, prepare(windows, shape, normalisation, this.seeing));
    return windows.map((_, i) => codes.slice(i * size, (i + 1) * size));
  }

  /** The per-dimension median of the training windows' codes (what hashes are taken around), or null for a model fitted before codes had one. */
  get codeCenter(): readonly number[] | null {
    return this.manifest.codes?.center ?? null;
  }

  /** The model as one self-contained artifact (loadModel reads it back). */
  toArtifact(): Uint8Array {
    this.ensureLive();
    return encodeArtifact(this.manifest, this.net.weights.map((w) => w.variable.dataSync() as Float32Array));
  }

  /** Frees the weights; further calls throw MODEL_DISPOSED. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.net.dispose();
  }

  private ensureLive(): void {
    if (this.disposed) throw new HourglassError('MODEL_DISPOSED', 'this model was disposed');
  }
}

/** The means that a `relative` model took out of prepared row i, per channel (zeros for `absolute`). */
function rowLevel(data: Prepared, i: number): ArrayLike<number> {
  const c = data.channels;
  return data.level ? data.level.subarray(i * c, (i + 1) * c) : new Float32Array(c);
}
