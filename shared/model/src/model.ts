import { HourglassError, type Window } from '@hourglass/core';
import { type ModelManifest, encodeArtifact } from './artifact';
import type { Tf } from './backend';
import { checkShape, prepare } from './data';
import { type Explanation, explain } from './explain';
import type { Autoencoder } from './models/index';
import { calibrate, scoreNetwork } from './scoring';

/** The verdict on one window. */
export interface ScoredWindow {
  /** The model's raw error (MSE over observed values; for the VAE, mean negative log-likelihood). */
  readonly rawError: number;
  /** Calibrated score in [0,1]: the estimated share of normal windows with a smaller raw error. */
  readonly score: number;
  /** 0–100 from the score's tail probability (docs/models.md, "Severity"). */
  readonly severity: number;
  /** log10(1/p) of the score's tail probability p, in decades (capped at 300); keeps its order where `score` reaches 1. */
  readonly surprise: number;
  /** rawError strictly above the model's threshold. */
  readonly isAnomaly: boolean;
  /** Values in the window that were observed (the error is averaged over them). */
  readonly observed: number;
  readonly explanation: Explanation;
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

  /** The raw-error threshold and its calibrated score. */
  get threshold(): { readonly rawError: number; readonly score: number } {
    const value = this.manifest.threshold.value;
    return { rawError: value, score: calibrate(this.manifest.calibration, value).score };
  }

  /** Scores windows in order; throws MODEL_INPUT_INVALID when a window's shape differs from the model's. */
  score(windows: readonly Window[]): ScoredWindow[] {
    this.ensureLive();
    if (windows.length === 0) return [];
    const { shape, normalisation, calibration, threshold, config } = this.manifest;
    checkShape(windows, shape);
    const data = prepare(windows, shape, normalisation);
    const raw = scoreNetwork(this.tf, this.net, data);
    return windows.map((_, i) => {
      const rawError = raw.rawError[i] as number;
      // A window with nothing observed has nothing to judge: it is reported as normal, never as an anomaly.
      const { score, severity, surprise } = data.observed[i] === 0 ? { score: 0, severity: 0, surprise: 0 } : calibrate(calibration, rawError);
      return {
        rawError,
        score,
        severity,
        surprise,
        isAnomaly: data.observed[i] !== 0 && rawError > threshold.value,
        observed: data.observed[i] as number,
        explanation: explain(raw.contributions.subarray(i * data.dim, (i + 1) * data.dim), shape.steps, shape.channels, config.explanation.topK),
      };
    });
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
