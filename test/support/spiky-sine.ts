import { seededRng, type Window } from '@hourglass/core';

/**
 * The synthetic stream of the pipeline benchmark and the fault suite: per series a noisy sine
 * (period 24 steps, phase shifted by series), with single-step spikes staggered across series.
 * Seeded, so every run sends the same values.
 */
export interface SpikySine {
  /** Window length W of the model group the stream feeds. */
  readonly steps: number;
  readonly spikeEverySteps: number;
  readonly group: string;
  readonly intervalMs: number;
  readonly baseMs: number;
}

/** Uniform [0, 1) numbers from the shared seeded generator. */
export function uniformRng(seed: number): () => number {
  return seededRng(seed).next;
}

/** True when series `s` has a spike at `step` (none in its first 2W steps, so a model can warm up). */
export function isSpike(sine: SpikySine, s: number, step: number): boolean {
  return step >= 2 * sine.steps && step % sine.spikeEverySteps === (7 * s) % sine.spikeEverySteps;
}

/** The value of series `s` at `step` without its spike; call in step order per series with its own rng. */
export function cleanValue(rng: () => number, s: number, step: number): number {
  // Box-Muller from the seeded generator: the noise is the same on every run.
  const noise = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return Math.sin((2 * Math.PI * (step + 3 * s)) / 24) + 0.05 * noise;
}

/** Clean windows of the same stream (other seeds), for a model fitted up front. */
export function trainingWindows(sine: SpikySine, count: number, series: number): Window[] {
  const { steps: w, group, intervalMs, baseMs } = sine;
  const out: Window[] = [];
  for (let t = 0; out.length < count; t++) {
    const rng = uniformRng(50_000 + t);
    const s = t % series;
    const values = Array.from({ length: 250 + w - 1 }, (_, step) => cleanValue(rng, s, step));
    for (let i = 0; i < 250 && out.length < count; i++) {
      out.push({
        formatVersion: 1, series: `train${t}`, group, startMs: baseMs + i * intervalMs, endMs: baseMs + (i + w - 1) * intervalMs, intervalMs,
        channels: ['value'], values: Float32Array.from(values.slice(i, i + w)), mask: new Uint8Array(w).fill(1), ingestedAtMs: Date.now(),
      });
    }
  }
  return out;
}
