/**
 * Which time steps and channels carry a window's reconstruction error: the top-K of the per-value
 * contributions summed over channels (per step) and over steps (per channel), with their share.
 */

/** The explanation attached to a scored window. `step` 0 is the oldest step of the window. */
export interface Explanation {
  readonly steps: readonly { readonly step: number; readonly share: number }[];
  readonly channels: readonly { readonly channel: string; readonly share: number }[];
}

/** Explains one window from its contributions (W·C, time-major, non-negative). */
export function explain(contributions: Float32Array, steps: number, channels: readonly string[], topK: number): Explanation {
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
  return {
    steps: top(perStep, topK).map((i) => ({ step: i, share: (perStep[i] as number) / total })),
    channels: top(perChannel, topK).map((i) => ({ channel: channels[i] as string, share: (perChannel[i] as number) / total })),
  };
}

/** Indices of the k largest values, largest first (ties: the earlier index). */
function top(values: Float64Array, k: number): number[] {
  return Array.from(values.keys())
    .sort((a, b) => (values[b] as number) - (values[a] as number) || a - b)
    .slice(0, Math.min(k, values.length));
}
