/**
 * Which time steps and channels carry a window's reconstruction error: the top-K of the per-value
 * contributions summed over channels (per step) and over steps (per channel), with their share.
 */

import type { Explanation, Window } from '@hourglass/core';

/**
 * Explains one window from its contributions (W·C, time-major, non-negative), as the anomaly event
 * carries it: step 0 is the oldest step of the window, `ts` its time.
 */
export function explain(contributions: Float32Array, window: Pick<Window, 'startMs' | 'intervalMs'>, steps: number, channels: readonly string[], topK: number): Explanation {
  const c = channels.length;
  const perStep = new Float64Array(steps);
  const perChannel = new Float64Array(c);
  let total = 0;
  for (let t = 0, k = 0; t < steps; t += 1) {
    for (let ch = 0; ch < c; ch += 1, k += 1) {
      const v = Math.max(0, contributions[k] as number);
      perStep[t] = (perStep[t] as number) + v;
      perChannel[ch] = (perChannel[ch] as number) + v;
      total += v;
    }
  }
  if (!(total > 0)) return { topSteps: [], topChannels: [] };
  return {
    topSteps: top(perStep, topK).map((i) => ({ step: i, ts: window.startMs + i * window.intervalMs, share: (perStep[i] as number) / total })),
    topChannels: top(perChannel, topK).map((i) => ({ channel: channels[i] as string, share: (perChannel[i] as number) / total })),
  };
}

/**
 * Indices of the k largest values, largest first (ties: the earlier index). A selection, not a
 * sort: one pass keeping the best k in order, O(n·k) for the small k of explanations.
 */
export function top(values: Float64Array, k: number): number[] {
  const best: number[] = [];
  const want = Math.min(k, values.length);
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i] as number;
    if (best.length === want && !(v > (values[best[want - 1] as number] as number))) continue;
    let at = best.length === want ? want - 1 : best.length;
    // Shift smaller ones down; an equal value stays ahead (it has the earlier index).
    while (at > 0 && v > (values[best[at - 1] as number] as number)) {
      best[at] = best[at - 1] as number;
      at -= 1;
    }
    best[at] = i;
  }
  return best;
}
