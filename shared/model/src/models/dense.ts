import type { Tensor1D, Tensor2D, Tensor3D, Variable } from '@tensorflow/tfjs';
import type { ModelConfig } from '@hourglass/core';
import type { Tf } from '../backend';
import type { Rng } from '../random';

/**
 * Dense layers as plain variables (no tf.layers): the training loops need custom losses (KL,
 * Jacobian penalty) and the artifact needs an exact, named list of weights.
 */

/** Name and shape of one weight, in artifact order. */
export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

/** One variable with its artifact name. */
export interface NamedWeight {
  readonly name: string;
  readonly variable: Variable;
}

/** A dense layer y = act(x W + b). */
export interface Dense {
  readonly w: Variable;
  readonly b: Variable;
}

/** Hidden activation names (config.activation). */
export type Activation = ModelConfig['activation'];

/** The specs of a stack of dense layers `sizes[0] → sizes[1] → …` named `${prefix}${i}`. */
export function denseSpecs(prefix: string, sizes: readonly number[]): WeightSpec[] {
  const specs: WeightSpec[] = [];
  for (let i = 0; i + 1 < sizes.length; i += 1) {
    specs.push({ name: `${prefix}${i}/kernel`, shape: [sizes[i] as number, sizes[i + 1] as number] });
    specs.push({ name: `${prefix}${i}/bias`, shape: [sizes[i + 1] as number] });
  }
  return specs;
}

/**
 * Creates variables for `specs`: from `values` (a loaded artifact, same order) or, without them,
 * Glorot-uniform kernels and zero biases drawn from `rng`.
 */
export function createWeights(tf: Tf, specs: readonly WeightSpec[], values: readonly Float32Array[] | null, rng: Rng): NamedWeight[] {
  return specs.map((spec, i) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    let data = values?.[i];
    if (!data) {
      data = new Float32Array(size);
      if (spec.shape.length === 2) {
        const limit = Math.sqrt(6 / ((spec.shape[0] as number) + (spec.shape[1] as number)));
        for (let k = 0; k < size; k += 1) data[k] = (2 * rng.uniform() - 1) * limit;
      }
    }
    return { name: spec.name, variable: tf.variable(tf.tensor(data, [...spec.shape]), true, undefined, 'float32') };
  });
}

/** Groups consecutive kernel/bias pairs of `weights` whose names start with `prefix` into layers. */
export function layersOf(weights: readonly NamedWeight[], prefix: string): Dense[] {
  const mine = weights.filter((w) => w.name.startsWith(prefix));
  const layers: Dense[] = [];
  for (let i = 0; i + 1 < mine.length; i += 2) layers.push({ w: (mine[i] as NamedWeight).variable, b: (mine[i + 1] as NamedWeight).variable });
  return layers;
}

/** Applies an activation. */
export function activate(tf: Tf, name: Activation, a: Tensor2D): Tensor2D {
  switch (name) {
    case 'relu':
      return tf.relu(a);
    case 'tanh':
      return tf.tanh(a);
    case 'sigmoid':
      return tf.sigmoid(a);
    case 'elu':
      return tf.elu(a);
  }
}

/** The activation's derivative at pre-activation `a`, from its output `h` (closed forms; differentiable where it matters). */
export function activationDerivative(tf: Tf, name: Activation, a: Tensor2D, h: Tensor2D): Tensor2D {
  switch (name) {
    case 'relu':
      return tf.step(a); // 1 where a > 0; tf.greater has no gradient in tfjs, tf.step does
    case 'tanh':
      return tf.sub(1, tf.square(h));
    case 'sigmoid':
      return tf.mul(h, tf.sub(1, h));
    case 'elu':
      return tf.add(tf.minimum(h, 0), 1); // 1 for a > 0, e^a = h + 1 below
  }
}

/** Forward pass through `layers`: all activated, except the last when `linearLast`. Returns each pre-activation and output. */
export function forward(tf: Tf, layers: readonly Dense[], x: Tensor2D, activation: Activation, linearLast = true): { pre: Tensor2D[]; out: Tensor2D[] } {
  const pre: Tensor2D[] = [];
  const out: Tensor2D[] = [];
  let h = x;
  layers.forEach((layer, i) => {
    const a = tf.add(tf.matMul(h, layer.w as unknown as Tensor2D), layer.b) as Tensor2D;
    h = linearLast && i === layers.length - 1 ? a : activate(tf, activation, a);
    pre.push(a);
    out.push(h);
  });
  return { pre, out };
}

/**
 * Exact squared Frobenius norm of the Jacobian of the encoder ∂code/∂x, per window, by propagating
 * the full Jacobian forward: J₁ = W₁ ⊙ σ'(a₁), J_k = (J_{k-1} W_k) ⊙ σ'(a_k), the code layer linear.
 * Cost n·D·Σ h_{k-1}h_k multiply-adds: a few times a forward pass for these layer sizes, and
 * differentiable with first-order autodiff (no double backprop).
 */
export function jacobianFrobeniusSquared(tf: Tf, layers: readonly Dense[], pre: readonly Tensor2D[], out: readonly Tensor2D[], activation: Activation): Tensor1D {
  let jac: Tensor3D | undefined;
  layers.forEach((layer, i) => {
    const w = layer.w as unknown as Tensor2D;
    // [n, D, h_i]: the Jacobian of layer i's pre-activation w.r.t. the input.
    const linear: Tensor3D = jac === undefined ? (tf.expandDims(w, 0) as Tensor3D) : (tf.matMul(jac, tf.tile(tf.expandDims(w, 0), [jac.shape[0], 1, 1]) as Tensor3D) as Tensor3D);
    if (i === layers.length - 1) {
      jac = linear;
    } else {
      const d = activationDerivative(tf, activation, pre[i] as Tensor2D, out[i] as Tensor2D);
      jac = tf.mul(linear, tf.expandDims(d, 1)) as Tensor3D;
    }
  });
  return tf.sum(tf.square(jac as Tensor3D), [1, 2]) as Tensor1D;
}
