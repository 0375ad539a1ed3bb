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

/** Largest batch sent to the network at once; bounds memory for any input size (the VAE multiplies it by L). */
export const SCORE_CHUNK = 1024;

/**
 * Runs the network over prepared windows in chunks, each inside tf.tidy, so no tensor outlives a
 * call. A window with no observed value has no reconstruction to judge: its raw error is 0.
 */
export function scoreNetwork(tf: Tf, net: Autoencoder, data: Prepared, chunk = SCORE_CHUNK): RawScores {
  const rawError = new Float64Array(data.n);
  const contributions = new Float32Array(data.n * data.dim);
  for (let start = 0; start < data.n; start += chunk) {
    const rows = Array.from({ length: Math.min(chunk, data.n - start) }, (_, i) => start + i);
    const [errors, parts] = tf.tidy(() => {
      const [x, mask] = batchTensors(tf, data, rows);
      const out = net.evaluate(x, mask);
      return [out.rawError.dataSync(), out.contributions.dataSync()] as const;
    });
    errors.forEach((e, i) => {
      rawError[start + i] = (data.observed[start + i] as number) === 0 ? 0 : e;
    });
    contributions.set(parts, start * data.dim);
  }
  return { rawError, contributions };
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
