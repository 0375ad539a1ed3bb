import type { Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import type { ModelConfig } from '@hourglass/core';
import type { Tf } from '../backend';
import type { Rng } from '../random';
import { type NamedWeight, type WeightSpec, createWeights, denseSpecs, forward, layersOf } from './dense';
import { type Autoencoder, maskedRowMean } from './types';

/**
 * Variational autoencoder (Kingma & Welling 2014) with a Gaussian encoder q(z|x) = N(μ, diag e^λ)
 * and a Gaussian decoder p(x|z) = N(m, diag e^ν), both heads learnt. Training minimises the masked
 * negative ELBO per value, β·KL ramped up over the warm-up (missing values leave the likelihood, as
 * Donut's M-ELBO). The anomaly score is the negative reconstruction log-probability
 * -log p(x|z) averaged over L samples z ~ q(z|x) and over observed values (An & Cho 2015; Donut).
 */

/** Log-variances are clipped so e^λ neither underflows to a zero variance nor overflows. */
const LOGVAR_MIN = -10;
const LOGVAR_MAX = 6;
const LOG_2PI = Math.log(2 * Math.PI);

/** Weight names and shapes for input size `dim`, in artifact order. */
export function variationalSpecs(config: ModelConfig, dim: number): WeightSpec[] {
  const hiddenIn = [dim, ...config.layers];
  const hiddenOut = [config.latentSize, ...[...config.layers].reverse()];
  const h = config.layers[config.layers.length - 1] ?? dim;
  const g = config.layers[0] ?? config.latentSize;
  return [
    ...denseSpecs('encoder/dense', hiddenIn),
    ...denseSpecs('encoder/mean', [h, config.latentSize]),
    ...denseSpecs('encoder/logvar', [h, config.latentSize]),
    ...denseSpecs('decoder/dense', hiddenOut),
    ...denseSpecs('decoder/mean', [g, dim]),
    ...denseSpecs('decoder/logvar', [g, dim]),
  ];
}

/**
 * Builds the VAE. `scoreNoise` holds the L latent draws ε used for every window: common random
 * numbers make a window's score independent of its batch and identical after save → load.
 */
export function createVariational(tf: Tf, config: ModelConfig, dim: number, values: readonly Float32Array[] | null, rng: Rng): Autoencoder {
  const weights: NamedWeight[] = createWeights(tf, variationalSpecs(config, dim), values, rng);
  const [encHidden, encMean, encLogvar, decHidden, decMean, decLogvar] = ['encoder/dense', 'encoder/mean', 'encoder/logvar', 'decoder/dense', 'decoder/mean', 'decoder/logvar'].map((p) =>
    layersOf(weights, p),
  ) as [ReturnType<typeof layersOf>, ReturnType<typeof layersOf>, ReturnType<typeof layersOf>, ReturnType<typeof layersOf>, ReturnType<typeof layersOf>, ReturnType<typeof layersOf>];
  const latent = config.latentSize;
  const samples = config.variational.samples;
  const scoreNoise = rng.fork(0x5eed).normals(samples * latent);
  // Resident like the weights, so scoring uploads only the windows.
  const scoreEps = tf.tidy(() => tf.reshape(tf.tensor2d(scoreNoise, [samples, latent]), [samples, 1, latent]));
  const act = config.activation;

  const hidden = (layers: typeof encHidden, x: Tensor2D): Tensor2D => (layers.length === 0 ? x : (forward(tf, layers, x, act, false).out[layers.length - 1] as Tensor2D));
  const head = (layers: typeof encMean, x: Tensor2D): Tensor2D => forward(tf, layers, x, act).out[0] as Tensor2D;
  const encode = (x: Tensor2D) => {
    const h = hidden(encHidden, x);
    return { mu: head(encMean, h), logvar: tf.clipByValue(head(encLogvar, h), LOGVAR_MIN, LOGVAR_MAX) as Tensor2D };
  };
  const decode = (z: Tensor2D) => {
    const h = hidden(decHidden, z);
    return { mean: head(decMean, h), logvar: tf.clipByValue(head(decLogvar, h), LOGVAR_MIN, LOGVAR_MAX) as Tensor2D };
  };
  /** -log N(x; m, e^ν) per value, and the standardised squared residual half ½(x-m)²e^-ν. */
  const nll = (x: Tensor2D, mean: Tensor2D, logvar: Tensor2D) => {
    const surprise = tf.mul(0.5, tf.mul(tf.square(tf.sub(x, mean)), tf.exp(tf.neg(logvar)))) as Tensor2D;
    return { nll: tf.add(surprise, tf.mul(0.5, tf.add(logvar, LOG_2PI))) as Tensor2D, surprise };
  };

  /** The decoder's per-value terms for the L common draws ε_l of every window. */
  const sampled = (x: Tensor2D) => {
    const [n, d] = x.shape;
    const { mu, logvar } = encode(x);
    // [L, n, latent]: every window uses the same L draws ε_l.
    const z = tf.add(tf.expandDims(mu, 0), tf.mul(tf.expandDims(tf.exp(tf.mul(0.5, logvar)), 0), scoreEps)) as Tensor3D;
    const out = decode(tf.reshape(z, [samples * n, latent]));
    const xs = tf.tile(x, [samples, 1]) as Tensor2D;
    const meanOverSamples = (t: Tensor2D) => tf.mean(tf.reshape(t, [samples, n, d]), 0) as Tensor2D;
    return { parts: nll(xs, out.mean, out.logvar), meanOverSamples, decoderMean: out.mean };
  };

  return {
    type: 'variational',
    weights,
    objective(x, mask, step) {
      const [n] = x.shape;
      const { mu, logvar } = encode(x);
      const eps = step === null ? tf.tile(tf.tensor2d(scoreNoise.subarray(0, latent), [1, latent]), [n, 1]) : tf.tensor2d(step.rng.normals(n * latent), [n, latent]);
      const z = tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, logvar)), eps)) as Tensor2D;
      const out = decode(z);
      const recon = tf.sum(tf.mul(nll(x, out.mean, out.logvar).nll, mask), 1);
      const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.add(1, logvar), tf.add(tf.square(mu), tf.exp(logvar))), 1));
      const warm = config.variational.warmupEpochs;
      const beta = config.variational.beta * (step === null || warm === 0 ? 1 : Math.min(1, (step.epoch + 1) / warm));
      return { perWindow: tf.div(tf.add(recon, tf.mul(kl, beta)), x.shape[1]), penalty: tf.scalar(0) };
    },
    evaluate(x, mask) {
      const { parts, meanOverSamples } = sampled(x);
      const perValue = tf.mul(meanOverSamples(parts.nll), mask) as Tensor2D;
      return { rawError: maskedRowMean(tf, perValue, mask), contributions: tf.mul(meanOverSamples(parts.surprise), mask) as Tensor2D };
    },
    rawError(x, mask) {
      const { parts, meanOverSamples } = sampled(x);
      const perValue = meanOverSamples(parts.nll);
      return mask === null ? (tf.mean(perValue, 1) as Tensor1D) : maskedRowMean(tf, tf.mul(perValue, mask) as Tensor2D, mask);
    },
    reconstruct(x) {
      const { meanOverSamples, decoderMean } = sampled(x);
      return meanOverSamples(decoderMean);
    },
    encode(x) {
      return encode(x).mu;
    },
    dispose() {
      for (const w of weights) w.variable.dispose();
      scoreEps.dispose();
    },
  };
}
