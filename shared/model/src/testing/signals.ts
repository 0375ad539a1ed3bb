import type { Window } from '@hourglass/core';
import { type Rng, createRng } from '../random';

/**
 * Synthetic windows for the model tests and the benchmark: noisy sines with a random phase, and
 * the three anomaly kinds the conformance suite injects. Test support only (not exported by index).
 */

/** Anomalies the suite injects: one spike, a level shift over the second half, a doubled frequency over it. */
export type AnomalyKind = 'spike' | 'levelShift' | 'frequency';

/** The channels of the generated signals: C = 1 (`value`) or C = 3 (`a`, `b`, `c`). */
export function channelNames(c: 1 | 3): string[] {
  return c === 1 ? ['value'] : ['a', 'b', 'c'];
}

/** n windows of W steps of noisy sines (noise std 0.1, period 12 steps), anomalous when `kind` is given. */
export function sineWindows(n: number, steps: number, c: 1 | 3, seed: number, kind?: AnomalyKind): Window[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => sineWindow(steps, c, rng, i, kind));
}

const PERIOD = 12;

function sineWindow(steps: number, c: 1 | 3, rng: Rng, index: number, kind?: AnomalyKind): Window {
  const channels = channelNames(c);
  const values = new Float32Array(steps * c);
  const phase = rng.uniform() * PERIOD;
  const change = Math.floor(steps / 2);
  const spikeAt = Math.floor(steps / 4 + rng.uniform() * (steps / 2));
  const spikeChannel = Math.floor(rng.uniform() * c);
  for (let t = 0; t < steps; t += 1) {
    // After the change point a frequency anomaly runs twice as fast, continuing the phase.
    const time = kind === 'frequency' && t >= change ? change + 2 * (t - change) : t;
    const angle = (2 * Math.PI * (time + phase)) / PERIOD;
    for (let ch = 0; ch < c; ch += 1) {
      // Channel ch: a different amplitude, offset and harmonic, so a multivariate model has structure to learn.
      const base = ch === 0 ? Math.sin(angle) : ch === 1 ? 10 + 2 * Math.cos(angle) : 0.5 * Math.sin(2 * angle);
      const amplitude = ch === 1 ? 2 : ch === 2 ? 0.5 : 1;
      let v = base + 0.1 * amplitude * rng.normal();
      if (kind === 'levelShift' && t >= change) v += 1.0 * amplitude;
      if (kind === 'spike' && t === spikeAt && ch === spikeChannel) v += 3 * amplitude;
      values[t * c + ch] = v;
    }
  }
  return {
    formatVersion: 1,
    series: `sine-${c}`,
    group: 'test',
    startMs: index * 1000,
    endMs: index * 1000 + (steps - 1) * 1000,
    intervalMs: 1000,
    channels,
    values,
    mask: new Uint8Array(steps * c).fill(1),
    ingestedAtMs: 0,
  };
}
