import { HourglassError, type Window } from '@hourglass/core';
import { NO_SEASONALITY, type Seasonality, profileAt } from './seasonality';

/**
 * From raw windows to the matrices the networks see: shape checks, robust per-channel
 * normalisation statistics (fitted on training windows, then frozen in the artifact) and the
 * normalised, missing-filled input with its mask.
 */

/** W and the channel names every window of a model must have. */
export interface WindowShape {
  readonly steps: number;
  readonly channels: readonly string[];
}

/**
 * Per-channel centre (median) and scale (IQR/1.349, floored) of the values, after the channel's
 * transform where it has one: a model sees (T(v) - center) / scale.
 */
export interface Normalisation {
  readonly center: readonly number[];
  readonly scale: readonly number[];
  /** True when every channel was constant in the training windows (the scales are all floors); absent in older models. */
  readonly constant?: boolean;
  /**
   * Per channel, null for none, or s > 0 for T(v) = asinh(v / s): linear up to about s, then
   * logarithmic. Absent in older models (no transform).
   */
  readonly transform?: readonly (number | null)[];
}

/** `model.transform` (docs/models.md, "Transform"). */
export type TransformMode = 'auto' | 'none' | 'asinh';

/**
 * `auto` takes asinh for a channel that is never negative and heavy-tailed: its 99th percentile more
 * than this many interquartile ranges above its median. A normal sits at 1.7, an exponential at
 * 3.5, a log-normal of sigma 1 at 6.4; counters of bytes and requests with bursts are in the
 * hundreds and beyond.
 */
export const HEAVY_TAIL_IQRS = 10;

/** A value in the units the network sees (before the seasonal profile and level). */
export function toModelUnits(norm: Normalisation, ch: number, v: number): number {
  const s = norm.transform?.[ch] ?? null;
  return ((s === null ? v : Math.asinh(v / s)) - (norm.center[ch] as number)) / (norm.scale[ch] as number);
}

/** The inverse of toModelUnits: a value the network sees, back in data units. */
export function toDataUnits(norm: Normalisation, ch: number, z: number): number {
  const y = z * (norm.scale[ch] as number) + (norm.center[ch] as number);
  const s = norm.transform?.[ch] ?? null;
  return s === null ? y : s * Math.sinh(y);
}

/** n windows as row-major n × D matrices (D = W·C, time-major like the Window contract). */
export interface Prepared {
  readonly n: number;
  readonly dim: number;
  /** Normalised values, less the seasonal profile where the model has one; missing values hold the fill 0 (the typical value). */
  readonly x: Float32Array;
  /** 1 where observed, 0 where missing. */
  readonly mask: Float32Array;
  /** Observed values per window. */
  readonly observed: Int32Array;
  /** True when every value of every window is observed (and finite): scoring then needs no mask. */
  readonly allObserved: boolean;
  /** C, the channels per step (D = W·C). */
  readonly channels: number;
  /**
   * For a model of `level: relative`, each window's mean per channel (n × C, normalised units, after
   * the seasonal profile) that was taken out of x; null for `absolute`, where nothing is.
   */
  readonly level: Float32Array | null;
}

/** How a window is seen: the seasonal profile taken out, and for `relative`, its own mean too. */
export interface PrepareOptions {
  readonly seasonality?: Seasonality;
  readonly level?: 'absolute' | 'relative';
}

/** Smallest scale relative to |median|, and absolute: a constant channel neither divides by 0 nor explodes. */
export const RELATIVE_SCALE_FLOOR = 1e-3;
export const ABSOLUTE_SCALE_FLOOR = 1e-6;

/** Checks every window has one shape (the given one, else the first's); throws MODEL_INPUT_INVALID. */
export function checkShape(windows: readonly Window[], expected?: WindowShape): WindowShape {
  const first = windows[0];
  if (first === undefined) throw new HourglassError('MODEL_INPUT_INVALID', 'no windows given');
  const shape = expected ?? { steps: first.values.length / Math.max(1, first.channels.length), channels: [...first.channels] };
  const c = shape.channels.length;
  if (c === 0 || !Number.isInteger(shape.steps) || shape.steps < 2) {
    throw new HourglassError('MODEL_INPUT_INVALID', `windows need at least 1 channel and 2 steps (got ${c} channels, ${shape.steps} steps)`);
  }
  windows.forEach((w, i) => {
    const problem =
      w.channels.length !== c || w.channels.some((name, k) => name !== shape.channels[k])
        ? `channels [${w.channels.join(', ')}] differ from the model's [${shape.channels.join(', ')}]`
        : !(w.values instanceof Float32Array) || w.values.length !== shape.steps * c
          ? `has ${w.values?.length} values, expected W·C = ${shape.steps}·${c}`
          : !(w.mask instanceof Uint8Array) || w.mask.length !== w.values.length
            ? 'mask is not a Uint8Array as long as the values'
            : undefined;
    if (problem) throw new HourglassError('MODEL_INPUT_INVALID', `window ${i} (series ${w.series}) ${problem}`);
  });
  return shape;
}

/** Refuses windows with a non-finite observed value (MODEL_INPUT_NOT_FINITE): training data must be clean. */
export function checkFinite(windows: readonly Window[]): void {
  windows.forEach((w, i) => {
    for (let k = 0; k < w.values.length; k += 1) {
      if (w.mask[k] === 1 && !Number.isFinite(w.values[k] as number)) {
        throw new HourglassError('MODEL_INPUT_NOT_FINITE', `window ${i} (series ${w.series}) has a non-finite observed value at index ${k}; mark it missing (mask 0) instead`);
      }
    }
  });
}

/** Fits the normalisation (and, for `auto`, chooses each channel's transform) on training windows; refuses non-finite observed values. */
export function fitNormalisation(windows: readonly Window[], shape: WindowShape, mode: TransformMode = 'none'): Normalisation {
  checkFinite(windows);
  const c = shape.channels.length;
  const perChannel: number[][] = Array.from({ length: c }, () => []);
  for (const w of windows) {
    for (let k = 0; k < w.values.length; k += 1) if (w.mask[k] === 1) (perChannel[k % c] as number[]).push(w.values[k] as number);
  }
  const center: number[] = [];
  const scale: number[] = [];
  const transform: (number | null)[] = [];
  let informative = 0;
  perChannel.forEach((raw, ch) => {
    if (raw.length < 2) throw new HourglassError('MODEL_TOO_LITTLE_DATA', `channel ${shape.channels[ch]} has ${raw.length} observed values`);
    raw.sort((a, b) => a - b);
    const asinhScale = transformScale(raw, mode);
    transform.push(asinhScale);
    // asinh is increasing, so the transformed values stay sorted.
    const values = asinhScale === null ? raw : raw.map((v) => Math.asinh(v / asinhScale));
    const q = (p: number): number => values[Math.round(p * (values.length - 1))] as number;
    const median = q(0.5);
    let s = (q(0.75) - q(0.25)) / 1.349; // IQR of a normal is 1.349σ
    if (!(s > 0)) s = standardDeviation(values); // mostly-constant channels with rare moves
    if (s > ABSOLUTE_SCALE_FLOOR && s > RELATIVE_SCALE_FLOOR * Math.abs(median)) informative += 1;
    center.push(median);
    scale.push(Math.max(s, RELATIVE_SCALE_FLOOR * Math.abs(median), ABSOLUTE_SCALE_FLOOR));
  });
  // Every channel constant: still a model. Its scale is the floor, so any change of the constant is
  // far from everything it learnt and is flagged; a series is never left unwatched for being steady.
  return { center, scale, constant: informative === 0, ...(transform.some((t) => t !== null) ? { transform } : {}) };
}

/**
 * The asinh scale of one channel (its sorted training values), or null for none: the median
 * magnitude of its non-zero values, so that typical values stay in asinh's near-linear part and
 * only what is far beyond them is compressed.
 */
function transformScale(sorted: readonly number[], mode: TransformMode): number | null {
  if (mode === 'none') return null;
  const q = (p: number): number => sorted[Math.round(p * (sorted.length - 1))] as number;
  if (mode === 'auto' && !((sorted[0] as number) >= 0 && q(0.99) - q(0.5) > HEAVY_TAIL_IQRS * (q(0.75) - q(0.25)))) return null;
  const magnitudes = sorted.map(Math.abs).filter((v) => v > 0).sort((a, b) => a - b);
  if (magnitudes.length === 0) return null; // all zero: nothing to compress
  return Math.max(magnitudes[Math.floor((magnitudes.length - 1) / 2)] as number, ABSOLUTE_SCALE_FLOOR);
}

/**
 * Normalises windows into matrices. Non-finite observed values are treated as missing (mask 0), so
 * one corrupt point cannot turn a score into NaN; fitting refuses them earlier (fitNormalisation).
 */
export function prepare(windows: readonly Window[], shape: WindowShape, norm: Normalisation, options: PrepareOptions = {}): Prepared {
  const seasonality = options.seasonality ?? NO_SEASONALITY;
  const c = shape.channels.length;
  const dim = shape.steps * c;
  const seasonal = seasonality.periodMs !== null;
  const n = windows.length;
  const x = new Float32Array(n * dim);
  const mask = new Float32Array(n * dim);
  const observed = new Int32Array(n);
  const center = Float64Array.from(norm.center);
  const scale = Float64Array.from(norm.scale);
  // Per channel: 0 for no transform, else the asinh scale (toModelUnits, unrolled for this loop).
  const asinhScale = Float64Array.from(shape.channels, (_, ch) => norm.transform?.[ch] ?? 0);
  const level = options.level === 'relative' ? new Float32Array(n * c) : null;
  const sums = new Float64Array(c);
  const counts = new Int32Array(c);
  let allObserved = true;
  for (let i = 0; i < n; i += 1) {
    const w = windows[i] as Window;
    const row = i * dim;
    let seen = 0;
    for (let k = 0, ch = 0; k < dim; k += 1, ch = ch + 1 === c ? 0 : ch + 1) {
      const v = w.values[k] as number;
      if (w.mask[k] !== 1 || !Number.isFinite(v)) continue;
      const typical = seasonal ? profileAt(seasonality, ch, w.startMs + Math.floor(k / c) * w.intervalMs) : 0;
      const t = asinhScale[ch] as number;
      const y = t > 0 ? Math.asinh(v / t) : v;
      x[row + k] = (y - (center[ch] as number)) / (scale[ch] as number) - typical;
      mask[row + k] = 1;
      seen += 1;
    }
    if (level) centre(x, mask, row, dim, c, level, i * c, sums, counts);
    observed[i] = seen;
    if (seen !== dim) allObserved = false;
  }
  return { n, dim, channels: c, x, mask, observed, allObserved, level };
}

/** Takes each channel's mean of the observed values out of one row of x, and writes it to level[at + ch]. */
function centre(x: Float32Array, mask: Float32Array, row: number, dim: number, c: number, level: Float32Array, at: number, sums: Float64Array, counts: Int32Array): void {
  sums.fill(0);
  counts.fill(0);
  for (let k = 0, ch = 0; k < dim; k += 1, ch = ch + 1 === c ? 0 : ch + 1) {
    if (mask[row + k] !== 1) continue;
    sums[ch] = (sums[ch] as number) + (x[row + k] as number);
    counts[ch] = (counts[ch] as number) + 1;
  }
  for (let ch = 0; ch < c; ch += 1) level[at + ch] = counts[ch] === 0 ? 0 : (sums[ch] as number) / (counts[ch] as number);
  for (let k = 0, ch = 0; k < dim; k += 1, ch = ch + 1 === c ? 0 : ch + 1) {
    if (mask[row + k] === 1) x[row + k] = (x[row + k] as number) - (level[at + ch] as number);
  }
}

/** Rows `indices` of a prepared set, as a new prepared set. */
export function selectRows(p: Prepared, indices: readonly number[]): Prepared {
  const x = new Float32Array(indices.length * p.dim);
  const mask = new Float32Array(indices.length * p.dim);
  const observed = new Int32Array(indices.length);
  const c = p.channels;
  const level = p.level ? new Float32Array(indices.length * c) : null;
  indices.forEach((r, i) => {
    x.set(p.x.subarray(r * p.dim, (r + 1) * p.dim), i * p.dim);
    mask.set(p.mask.subarray(r * p.dim, (r + 1) * p.dim), i * p.dim);
    observed[i] = p.observed[r] as number;
    if (level && p.level) level.set(p.level.subarray(r * c, (r + 1) * c), i * c);
  });
  return { n: indices.length, dim: p.dim, channels: c, x, mask, observed, allObserved: indices.every((r) => p.observed[r] === p.dim), level };
}

function standardDeviation(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
}
