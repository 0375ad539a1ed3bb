import type { Window } from '@hourglass/core';
import type { Tf } from '../backend';
import { type Prepared, checkShape, prepare } from '../data';
import type { AnomalyModel } from '../model';
import type { Autoencoder } from '../models/index';
import { SCORE_CHUNK, calibrate } from '../scoring';
import { batchTensors } from '../training';

/** The explanation as the model returned it before issue 17 (the adapter added times). */
export interface LegacyExplanation {
  readonly steps: readonly { readonly step: number; readonly share: number }[];
  readonly channels: readonly { readonly channel: string; readonly share: number }[];
}

/** The per-window verdict as the model returned it before issue 17. */
export interface LegacyScoredWindow {
  readonly rawError: number;
  readonly score: number;
  readonly severity: number;
  readonly surprise: number;
  readonly isAnomaly: boolean;
  readonly observed: number;
  readonly explanation: LegacyExplanation;
}

/**
 * AnomalyModel.score as it was before issue 17, frozen: typed arrays returned out of tf.tidy,
 * every value's contribution downloaded, an explanation (two sorts) for every window. Test and
 * benchmark support only (not exported by index): the lean path is measured and checked against it.
 */
export function legacyScore(model: AnomalyModel, windows: readonly Window[]): LegacyScoredWindow[] {
  // The model's network is private to the package; this frozen copy lives in the package for that reason.
  const { tf, net } = model as unknown as { tf: Tf; net: Autoencoder };
  if (windows.length === 0) return [];
  const { shape, normalisation, calibration, threshold, config } = model.manifest;
  checkShape(windows, shape);
  const data = prepare(windows, shape, normalisation);
  const raw = legacyScoreNetwork(tf, net, data);
  return windows.map((_, i) => {
    const rawError = raw.rawError[i] as number;
    const { score, severity, surprise } = data.observed[i] === 0 ? { score: 0, severity: 0, surprise: 0 } : calibrate(calibration, rawError);
    return {
      rawError,
      score,
      severity,
      surprise,
      isAnomaly: data.observed[i] !== 0 && rawError > threshold.value,
      observed: data.observed[i] as number,
      explanation: legacyExplain(raw.contributions.subarray(i * data.dim, (i + 1) * data.dim), shape.steps, shape.channels, config.explanation.topK),
    };
  });
}

function legacyScoreNetwork(tf: Tf, net: Autoencoder, data: Prepared, chunk = SCORE_CHUNK): { rawError: Float64Array; contributions: Float32Array } {
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

function legacyExplain(contributions: Float32Array, steps: number, channels: readonly string[], topK: number): LegacyExplanation {
  const c = channels.length;
  const perStep = new Float64Array(steps);
  const perChannel = new Float64Array(c);
  let total = 0;
  for (let k = 0; k < steps * c; k += 1) {
    const v = Math.max(0, contributions[k] as number);
    const t = Math.floor(k / c);
    perStep[t] = (perStep[t] as number) + v;
    perChannel[k % c] = (perChannel[k % c] as number) + v;
    total += v;
  }
  if (!(total > 0)) return { steps: [], channels: [] };
  const top = (values: Float64Array, k: number): number[] =>
    Array.from(values.keys())
      .sort((a, b) => (values[b] as number) - (values[a] as number) || a - b)
      .slice(0, Math.min(k, values.length));
  return {
    steps: top(perStep, topK).map((i) => ({ step: i, share: (perStep[i] as number) / total })),
    channels: top(perChannel, topK).map((i) => ({ channel: channels[i] as string, share: (perChannel[i] as number) / total })),
  };
}
