import { type CalibrationState, exceedanceProbability, severityFromExceedance } from '@hourglass/core';
import type { Tf } from './backend';
import type { Prepared } from './data';
import type { Autoencoder } from './models/index';
import { batchTensors } from './training';

/** Raw network output for n windows: error per window, contributions per value (n × D, row-major). */
export interface RawScores {
  readonly rawError: Float64Array;
  readonly contributions: Float32Array;
}

/**
 * Raw errors below this (a mean squared error in normalised units) are numerical noise, reported as
 * 0. Real series have errors many decades above it; a model of a constant series reconstructs it
 * to within float rounding, and without the floor that rounding, which depends on the batch, would
 * decide whether a steady window is anomalous.
 */
export const NUMERICAL_ERROR_FLOOR = 1e-9;

const floored = (e: number): number => (e < NUMERICAL_ERROR_FLOOR ? 0 : e);

/** Largest batch sent to the network at once; bounds memory for any input size (the VAE multiplies it by L). */
export const SCORE_CHUNK = 1024;

/**
 * Largest batch of the lean pass (raw errors only): no W·C contributions are materialised, so it
 * can be larger; the VAE's L samples per window still divide it.
 */
export const LEAN_SCORE_ROWS = 8192;

/**
 * Runs the network over prepared windows in chunks, each inside tf.tidy, so no tensor outlives a
 * call. A window with no observed value has no reconstruction to judge: its raw error is 0.
 * Tensors, never typed arrays, leave the tidy: tidy walks what its function returns, and a walk
 * over 65,536 contributions cost more than the forward pass.
 */
export function scoreNetwork(tf: Tf, net: Autoencoder, data: Prepared, chunk = SCORE_CHUNK): RawScores {
  const rawError = new Float64Array(data.n);
  const contributions = new Float32Array(data.n * data.dim);
  for (let start = 0; start < data.n; start += chunk) {
    const rows = Math.min(chunk, data.n - start);
    const out = tf.tidy(() => {
      const [x, mask] = batchTensors(tf, data, rowRange(start, rows));
      const { rawError: e, contributions: c } = net.evaluate(x, mask);
      return [e, c] as const;
    });
    const errors = out[0].dataSync();
    contributions.set(out[1].dataSync(), start * data.dim);
    tf.dispose([...out]);
    for (let i = 0; i < rows; i += 1) rawError[start + i] = (data.observed[start + i] as number) === 0 ? 0 : floored(errors[i] as number);
  }
  return { rawError, contributions };
}

/**
 * The raw errors alone (the scorer's lean pass): errors are reduced on the backend and only n
 * floats come back; the mask is neither uploaded nor multiplied when every value is observed.
 */
export function networkErrors(tf: Tf, net: Autoencoder, data: Prepared, samples: number): Float64Array {
  const rawError = new Float64Array(data.n);
  const chunk = Math.max(SCORE_CHUNK, Math.floor(LEAN_SCORE_ROWS / Math.max(1, samples)));
  for (let start = 0; start < data.n; start += chunk) {
    const rows = Math.min(chunk, data.n - start);
    const errors = tf.tidy(() => {
      const from = start * data.dim;
      const x = tf.tensor2d(data.x.subarray(from, from + rows * data.dim), [rows, data.dim]);
      const mask = data.allObserved ? null : tf.tensor2d(data.mask.subarray(from, from + rows * data.dim), [rows, data.dim]);
      return net.rawError(x, mask);
    });
    const values = errors.dataSync();
    errors.dispose();
    for (let i = 0; i < rows; i += 1) rawError[start + i] = (data.observed[start + i] as number) === 0 ? 0 : floored(values[i] as number);
  }
  return rawError;
}

/** The network's reconstruction of prepared windows (n × D, normalised units), in tidy chunks; for the few rows that need a band or values. */
export function networkReconstruction(tf: Tf, net: Autoencoder, data: Prepared, chunk = SCORE_CHUNK): Float32Array {
  const out = new Float32Array(data.n * data.dim);
  for (let start = 0; start < data.n; start += chunk) {
    const rows = Math.min(chunk, data.n - start);
    const recon = tf.tidy(() => {
      const from = start * data.dim;
      return net.reconstruct(tf.tensor2d(data.x.subarray(from, from + rows * data.dim), [rows, data.dim]));
    });
    out.set(recon.dataSync() as Float32Array, start * data.dim);
    recon.dispose();
  }
  return out;
}

/** The codes of prepared windows (n × latent, row-major), in tidy chunks; only for the few windows that need one. */
export function networkCodes(tf: Tf, net: Autoencoder, data: Prepared, chunk = SCORE_CHUNK): { codes: Float32Array; size: number } {
  let codes = new Float32Array(0);
  let size = 0;
  for (let start = 0; start < data.n; start += chunk) {
    const rows = Math.min(chunk, data.n - start);
    const out = tf.tidy(() => {
      const from = start * data.dim;
      return net.encode(tf.tensor2d(data.x.subarray(from, from + rows * data.dim), [rows, data.dim]));
    });
    if (start === 0) {
      size = out.shape[1] as number;
      codes = new Float32Array(data.n * size);
    }
    codes.set(out.dataSync() as Float32Array, start * size);
    out.dispose();
  }
  return { codes, size };
}

/**
 * The codes of prepared (training) windows summarised: their length and per-dimension median, the
 * centre that a code's hash is taken around, so the hash's bits describe how a window differs from
 * typical ones rather than where typical ones lie.
 */
export function codeSummary(tf: Tf, net: Autoencoder, data: Prepared): { size: number; center: number[] } {
  const { codes, size } = networkCodes(tf, net, data);
  const center = Array.from({ length: size }, (_, j) => {
    const column = Float64Array.from({ length: data.n }, (_, i) => codes[i * size + j] as number).sort();
    return column.length === 0 ? 0 : (column[Math.floor((column.length - 1) / 2)] as number);
  });
  return { size, center };
}

function rowRange(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i);
}

/** Largest surprise reported, in decades: exceedance probabilities below 1e-300 are all "off the scale". */
export const MAX_SURPRISE_DECADES = 300;

/**
 * A raw error seen through the calibration: score in [0,1], severity 0–100, and the surprise
 * log10(1/p) of its exceedance probability p. The score is 1 - p, so in float64 it reaches exactly 1
 * once p < ~1e-16; the surprise keeps ordering such errors (for consumers that rank or compare them).
 */
export function calibrate(calibration: CalibrationState, rawError: number): { score: number; severity: number; surprise: number } {
  const p = exceedanceProbability(calibration, rawError);
  const surprise = p > 0 ? Math.min(MAX_SURPRISE_DECADES, Math.max(0, -Math.log10(p))) : MAX_SURPRISE_DECADES;
  // The score is 1 - p (calibratedScore's definition), from the p computed once here for all three.
  return { score: Math.min(1, Math.max(0, 1 - p)), severity: severityFromExceedance(p), surprise };
}
