import type { Scalar, Tensor1D, Tensor2D } from '@tensorflow/tfjs';
import type { ModelConfig } from '@hourglass/core';
import type { Tf } from '../backend';
import type { Rng } from '../random';
import { type Activation, type Dense, jacobianFrobeniusSquared } from './dense';

/**
 * The regularisers that turn the undercomplete autoencoder into the denoising, sparse and
 * contractive variants. Each is a pure function of tensors, used only while training: scoring a
 * regularised model is the same masked reconstruction error as the undercomplete one.
 */

/**
 * Denoising corruption of a training input (targets stay clean). `gaussian`: x + N(0, noiseStd²) on
 * observed values. `masking`: each observed value is dropped to the fill 0 with probability
 * maskRate, the same thing a missing point looks like, so the model also learns to fill gaps.
 */
export function corrupt(tf: Tf, config: ModelConfig['denoising'], x: Tensor2D, mask: Tensor2D, rng: Rng): Tensor2D {
  const [n, d] = x.shape;
  if (config.corruption === 'gaussian') {
    const noise = rng.normals(n * d);
    return tf.add(x, tf.mul(tf.mul(tf.tensor2d(noise, [n, d]), config.noiseStd), mask)) as Tensor2D;
  }
  const keep = new Float32Array(n * d);
  for (let i = 0; i < keep.length; i += 1) keep[i] = rng.uniform() < config.maskRate ? 0 : 1;
  return tf.mul(x, tf.tensor2d(keep, [n, d])) as Tensor2D;
}

/**
 * Sparsity penalty on the code, averaged over the batch. `l1`: weight · Σ|h|. `kl`: weight ·
 * Σ_j KL(ρ ‖ ρ̂_j), ρ̂_j the batch-mean activation of a sigmoid code unit j (the code is sigmoid then).
 */
export function sparsityPenalty(tf: Tf, config: ModelConfig['sparse'], code: Tensor2D): Scalar {
  if (config.penalty === 'l1') return tf.mul(tf.mean(tf.sum(tf.abs(code), 1)), config.weight) as Scalar;
  const rho = config.target;
  const rhoHat = tf.clipByValue(tf.mean(code, 0), 1e-6, 1 - 1e-6);
  const kl = tf.add(
    tf.mul(rho, tf.log(tf.div(rho, rhoHat))),
    tf.mul(1 - rho, tf.log(tf.div(1 - rho, tf.sub(1, rhoHat)))),
  );
  return tf.mul(tf.sum(kl), config.weight) as Scalar;
}

/**
 * Contractive penalty: weight · mean over the batch of ‖∂code/∂x‖²_F, exact for the whole dense
 * encoder (see jacobianFrobeniusSquared), not only its first layer.
 */
export function contractivePenalty(
  tf: Tf,
  weight: number,
  encoder: readonly Dense[],
  pass: { pre: readonly Tensor2D[]; out: readonly Tensor2D[] },
  activation: Activation,
): Scalar {
  const norms: Tensor1D = jacobianFrobeniusSquared(tf, encoder, pass.pre, pass.out, activation);
  return tf.mul(tf.mean(norms), weight) as Scalar;
}
