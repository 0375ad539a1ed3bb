import type { Tensor1D, Tensor2D } from '@tensorflow/tfjs';
import type { ModelConfig } from '@hourglass/core';
import type { Tf } from '../backend';
import type { Rng } from '../random';
import { type NamedWeight, type WeightSpec, createWeights, denseSpecs, forward, layersOf } from './dense';
import { contractivePenalty, corrupt, sparsityPenalty } from './regularisers';
import { type Autoencoder, maskedRowMean } from './types';

/**
 * The deterministic autoencoder: dense encoder D → layers… → latent, mirrored decoder latent →
 * …layers → D with a linear output. Raw error = mean squared error over the observed values of a
 * window (normalised units). The `denoising`, `sparse` and `contractive` types are this network
 * trained with one regulariser (regularisers.ts); `undercomplete` relies on the bottleneck alone.
 */

/** The deterministic types this file builds. */
export type DeterministicType = 'undercomplete' | 'denoising' | 'sparse' | 'contractive';

/** Weight names and shapes for input size `dim`, in artifact order. */
export function deterministicSpecs(config: ModelConfig, dim: number): WeightSpec[] {
  const encoder = [dim, ...config.layers, config.latentSize];
  return [...denseSpecs('encoder/dense', encoder), ...denseSpecs('decoder/dense', [...encoder].reverse())];
}

/** Builds the network, from saved `values` or freshly initialised from `rng`. */
export function createDeterministic(tf: Tf, type: DeterministicType, config: ModelConfig, dim: number, values: readonly Float32Array[] | null, rng: Rng): Autoencoder {
  const weights: NamedWeight[] = createWeights(tf, deterministicSpecs(config, dim), values, rng);
  const encoder = layersOf(weights, 'encoder/');
  const decoder = layersOf(weights, 'decoder/');
  // A KL sparsity target is an activation rate, so that variant's code goes through a sigmoid.
  const sigmoidCode = type === 'sparse' && config.sparse.penalty === 'kl';

  const run = (input: Tensor2D) => {
    const enc = forward(tf, encoder, input, config.activation);
    const linearCode = enc.out[enc.out.length - 1] as Tensor2D;
    const code = sigmoidCode ? tf.sigmoid(linearCode) : linearCode;
    const recon = forward(tf, decoder, code, config.activation).out[decoder.length - 1] as Tensor2D;
    return { enc, code, recon };
  };
  const squaredError = (recon: Tensor2D, x: Tensor2D, mask: Tensor2D) => tf.mul(tf.square(tf.sub(recon, x)), mask) as Tensor2D;

  return {
    type,
    weights,
    objective(x, mask, step) {
      const input = type === 'denoising' && step !== null ? corrupt(tf, config.denoising, x, mask, step.rng) : x;
      const { enc, code, recon } = run(input);
      const perWindow = maskedRowMean(tf, squaredError(recon, x, mask), mask);
      let penalty = tf.scalar(0);
      if (type === 'sparse') penalty = sparsityPenalty(tf, config.sparse, code);
      if (type === 'contractive') penalty = contractivePenalty(tf, config.contractive.weight, encoder, enc, config.activation);
      return { perWindow, penalty };
    },
    evaluate(x, mask) {
      const contributions = squaredError(run(x).recon, x, mask);
      return { rawError: maskedRowMean(tf, contributions, mask), contributions };
    },
    rawError(x, mask) {
      const recon = run(x).recon;
      return mask === null ? (tf.mean(tf.squaredDifference(recon, x), 1) as Tensor1D) : maskedRowMean(tf, squaredError(recon, x, mask), mask);
    },
    reconstruct(x) {
      return run(x).recon;
    },
    encode(x) {
      return run(x).code;
    },
    dispose() {
      for (const w of weights) w.variable.dispose();
    },
  };
}
