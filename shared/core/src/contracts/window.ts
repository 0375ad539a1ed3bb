/**
 * A sliding window of one series: W time steps by C channels, as ingest emits it and the scorer
 * scores it. Values are raw (not normalised): the scorer normalises with the statistics that travel
 * with the model, so a model swap never needs ingest to change anything.
 *
 * Layout: `values[t * channels.length + c]` is channel c at step t (time-major), t = 0 the oldest.
 * `mask` has the same layout: 1 where the value was observed, 0 where it was missing and filled.
 */
export interface Window {
  /**
   * The windows-topic format version the window was decoded from: 1 (one window per message) or 2
   * (a block of a series' consecutive windows, docs/ingest.md). Windows made in process say 1.
   */
  readonly formatVersion: 1 | 2;
  readonly series: string;
  /** The model group whose config produced this window. */
  readonly group: string;
  /** Event time of step 0 and of step W-1, epoch ms. */
  readonly startMs: number;
  readonly endMs: number;
  /** The series' sampling interval: the event-time distance between two steps. */
  readonly intervalMs: number;
  /** Channel names; a univariate series has one, conventionally `value`. */
  readonly channels: readonly string[];
  /** W * C values, time-major; filled steps hold the fill value and mask 0. */
  readonly values: Float32Array;
  /** W * C observed flags (1 observed, 0 filled). */
  readonly mask: Uint8Array;
  /** Wall-clock time ingest received the newest point, epoch ms (for end-to-end latency). */
  readonly ingestedAtMs: number;
}

/** Number of time steps of a window. */
export function windowSteps(window: Pick<Window, 'values' | 'channels'>): number {
  return window.values.length / window.channels.length;
}
