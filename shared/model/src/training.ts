import type { Scalar, Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs';
import { HourglassError, type ModelConfig } from '@hourglass/core';
import type { Tf } from './backend';
import type { Prepared } from './data';
import type { Autoencoder } from './models/index';
import { type Rng, permutation } from './random';

/**
 * The training loop shared by every model type: seeded shuffles, Adam, validation after each
 * epoch, early stopping that restores the best weights, optional robust (trimmed) loss, and a
 * progress callback. A non-finite loss stops training with MODEL_TRAINING_DIVERGED: no NaN weights.
 */

/** What the progress callback receives after each epoch. */
export interface TrainProgress {
  readonly epoch: number;
  readonly epochs: number;
  readonly trainLoss: number;
  readonly validationLoss: number;
  readonly bestEpoch: number;
}

/** The training history stored in the artifact. */
export interface TrainingReport {
  readonly trainWindows: number;
  readonly validationWindows: number;
  readonly epochsRun: number;
  readonly bestEpoch: number;
  readonly bestValidationLoss: number;
  readonly stoppedEarly: boolean;
  readonly durationMs: number;
  readonly history: readonly { readonly epoch: number; readonly trainLoss: number; readonly validationLoss: number }[];
}

/** Options of a training run. */
export interface TrainOptions {
  /** Called after every epoch; it may be async (awaited), e.g. to yield to an event loop. */
  readonly onProgress?: (progress: TrainProgress) => void | Promise<void>;
}

/** Trains `net` in place on `train`, validating on `validation`; leaves the best epoch's weights. */
export async function trainNetwork(tf: Tf, net: Autoencoder, train: Prepared, validation: Prepared, config: ModelConfig, rng: Rng, options: TrainOptions = {}): Promise<TrainingReport> {
  const started = Date.now();
  const optimizer = tf.train.adam(config.learningRate);
  const variables = net.weights.map((w) => w.variable);
  const shuffles = rng.fork(1);
  const noise = rng.fork(2);
  const history: { epoch: number; trainLoss: number; validationLoss: number }[] = [];
  let best: { epoch: number; loss: number; values: Tensor[] } | undefined;
  let stoppedEarly = false;
  try {
    for (let epoch = 0; epoch < config.epochs; epoch += 1) {
      const order = permutation(train.n, shuffles);
      let sum = 0;
      let batches = 0;
      for (let start = 0; start < train.n; start += config.batchSize) {
        const rows = order.slice(start, start + config.batchSize);
        if (rows.length < 2 && batches > 0) continue; // a 1-window tail batch adds noise, not signal
        const cost = tf.tidy(() => {
          const [x, mask] = batchTensors(tf, train, rows);
          return optimizer.minimize(() => {
            const { perWindow, penalty } = net.objective(x, mask, { epoch, rng: noise });
            return tf.add(weightedMean(tf, perWindow, config.robust), penalty) as Scalar;
          }, true, variables) as Scalar;
        });
        sum += cost.dataSync()[0] as number;
        cost.dispose();
        batches += 1;
      }
      const trainLoss = sum / Math.max(1, batches);
      const validationLoss = evaluateObjective(tf, net, validation, config.batchSize * 16);
      if (!Number.isFinite(trainLoss) || !Number.isFinite(validationLoss)) {
        throw new HourglassError('MODEL_TRAINING_DIVERGED', `training diverged at epoch ${epoch + 1} (loss ${trainLoss}, validation ${validationLoss}); lower learningRate or check the data`);
      }
      history.push({ epoch: epoch + 1, trainLoss, validationLoss });
      if (best === undefined || validationLoss < best.loss) {
        best?.values.forEach((t) => t.dispose());
        best = { epoch: epoch + 1, loss: validationLoss, values: variables.map((v) => tf.keep(v.clone())) };
      }
      await options.onProgress?.({ epoch: epoch + 1, epochs: config.epochs, trainLoss, validationLoss, bestEpoch: best.epoch });
      if (epoch + 1 - best.epoch >= config.patience) {
        stoppedEarly = epoch + 1 < config.epochs;
        break;
      }
    }
    if (best) variables.forEach((v, i) => v.assign(best?.values[i] as Tensor));
  } finally {
    best?.values.forEach((t) => t.dispose());
    optimizer.dispose();
  }
  return {
    trainWindows: train.n,
    validationWindows: validation.n,
    epochsRun: history.length,
    bestEpoch: best?.epoch ?? 0,
    bestValidationLoss: best?.loss ?? NaN,
    stoppedEarly,
    durationMs: Date.now() - started,
    history,
  };
}

/** Mean of the evaluation-mode objective over a prepared set (what early stopping watches). */
export function evaluateObjective(tf: Tf, net: Autoencoder, data: Prepared, chunk: number): number {
  let total = 0;
  for (let start = 0; start < data.n; start += chunk) {
    const rows = Array.from({ length: Math.min(chunk, data.n - start) }, (_, i) => start + i);
    const value = tf.tidy(() => {
      const [x, mask] = batchTensors(tf, data, rows);
      const { perWindow, penalty } = net.objective(x, mask, null);
      return tf.add(tf.sum(perWindow), tf.mul(penalty, rows.length));
    });
    total += value.dataSync()[0] as number;
    value.dispose();
  }
  return total / data.n;
}

/**
 * Mean of per-window losses; with robust training, the largest `trimFraction` of them get weight 0
 * (a trimmed mean), so a few anomalous windows in the training data cannot pull the model toward them.
 * The weights are read out of the graph: which windows are trimmed is a choice, not a gradient path.
 */
function weightedMean(tf: Tf, perWindow: Tensor1D, robust: ModelConfig['robust']): Scalar {
  const n = perWindow.shape[0];
  const trimmed = robust.enabled ? Math.floor(n * robust.trimFraction) : 0;
  if (trimmed === 0) return tf.mean(perWindow) as Scalar;
  const losses = perWindow.dataSync();
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (losses[a] as number) - (losses[b] as number));
  const weights = new Float32Array(n);
  for (const i of order.slice(0, n - trimmed)) weights[i] = 1;
  return tf.div(tf.sum(tf.mul(perWindow, tf.tensor1d(weights))), n - trimmed) as Scalar;
}

/** The rows of a prepared set as x and mask tensors. */
export function batchTensors(tf: Tf, data: Prepared, rows: readonly number[]): [Tensor2D, Tensor2D] {
  const d = data.dim;
  const contiguous = rows.every((r, i) => r === (rows[0] as number) + i);
  if (contiguous && rows.length > 0) {
    const from = (rows[0] as number) * d;
    const to = from + rows.length * d;
    return [tf.tensor2d(data.x.subarray(from, to), [rows.length, d]), tf.tensor2d(data.mask.subarray(from, to), [rows.length, d])];
  }
  const x = new Float32Array(rows.length * d);
  const mask = new Float32Array(rows.length * d);
  rows.forEach((r, i) => {
    x.set(data.x.subarray(r * d, (r + 1) * d), i * d);
    mask.set(data.mask.subarray(r * d, (r + 1) * d), i * d);
  });
  return [tf.tensor2d(x, [rows.length, d]), tf.tensor2d(mask, [rows.length, d])];
}
