import type { Scalar, Tensor1D, Tensor2D } from '@tensorflow/tfjs';
import type { ModelType } from '@hourglass/core';
import type { Tf } from '../backend';
import type { Rng } from '../random';
import type { NamedWeight } from './dense';

/** What one training step tells the network: the epoch (for warm-ups) and the noise source. */
export interface TrainStep {
  readonly epoch: number;
  readonly rng: Rng;
}

/**
 * The contract every model type implements (one file per type). Inputs are normalised n × D
 * matrices with a 0/1 mask; all methods are called inside tf.tidy by the caller.
 */
export interface Autoencoder {
  readonly type: ModelType;
  /** Every trainable weight, in artifact order. */
  readonly weights: readonly NamedWeight[];
  /**
   * The training objective of a batch: a per-window data term (which robust training may
   * re-weight) plus a batch-level penalty. `step` null evaluates it for validation: no corruption,
   * the final KL weight, fixed noise.
   */
  objective(x: Tensor2D, mask: Tensor2D, step: TrainStep | null): { perWindow: Tensor1D; penalty: Scalar };
  /** The anomaly score's raw error per window, and non-negative per-value contributions (0 where missing). */
  evaluate(x: Tensor2D, mask: Tensor2D): { rawError: Tensor1D; contributions: Tensor2D };
  /**
   * The raw error alone, as evaluate() computes it, without materialising the contributions (the
   * scorer's hot path). `mask` null: every value is observed, so no mask is uploaded or multiplied.
   */
  rawError(x: Tensor2D, mask: Tensor2D | null): Tensor1D;
  /**
   * The expected window (the denoised reconstruction of x, normalised units, n × D): what the
   * expected-value band is centred on. The VAE's is its decoder mean averaged over the L common draws.
   */
  reconstruct(x: Tensor2D): Tensor2D;
  /**
   * The code of each window (n × latent): the code layer's output, the compact description of a
   * window that similarity lookups compare (docs/incidents.md). The VAE's is the encoder mean μ.
   */
  encode(x: Tensor2D): Tensor2D;
  /** Frees the variables. */
  dispose(): void;
}

/** Masked mean over each row: Σ v·mask / max(1, Σ mask). */
export function maskedRowMean(tf: Tf, values: Tensor2D, mask: Tensor2D): Tensor1D {
  const count = tf.maximum(tf.sum(mask, 1), 1);
  return tf.div(tf.sum(tf.mul(values, mask), 1), count) as Tensor1D;
}
