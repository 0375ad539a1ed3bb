import { createHash } from 'node:crypto';
import type { ExpectedBand, StepValue } from './expected-band';
import type { SimilarEpisode } from './episode-code';

/** Where an anomaly event sits in its episode (one episode per run of anomalous windows). */
export type EpisodeState = 'open' | 'ongoing' | 'closed';

/** The time steps and channels that contribute most of a window's reconstruction error. */
export interface Explanation {
  /** Steps as offsets from the window start (0 = oldest) with their share of the error. */
  /** `values`: actual and expected per channel at that step (data units); on events from models that can reconstruct. */
  readonly topSteps: readonly { readonly step: number; readonly ts: number; readonly share: number; readonly values?: readonly StepValue[] }[];
  readonly topChannels: readonly { readonly channel: string; readonly share: number }[];
}

/**
 * A message on `hourglass.anomalies` (key: series id), as ARCHITECTURE.md fixes it. `id` depends
 * only on (series, group, window end, model version), so a replayed window yields the same id.
 */
export interface AnomalyEvent {
  readonly id: string;
  /** The id of the episode's `open` event; equal to `id` on that event. */
  readonly episodeId: string;
  readonly series: string;
  readonly group: string;
  readonly modelVersion: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly detectedAt: string;
  readonly score: number;
  readonly threshold: number;
  readonly severity: number;
  readonly state: EpisodeState;
  readonly explanation: Explanation;
  /**
   * On an `open` event: the most similar earlier episodes of the group (up to `similar.k`, nearest
   * first; docs/incidents.md). What the scorer knew when it published; absent when lookups are off.
   */
  readonly similar?: readonly SimilarEpisode[];
  /** The expected-value band at the window's newest step (docs/scorer.md); absent when the model cannot give one. */
  readonly band?: ExpectedBand;
  /**
   * Only on a `closed` event of a group with `episodes.adoptAfterMs`: the episode lasted that long,
   * and its level or shape is now learned as the new normal instead of alarming for ever.
   */
  readonly adopted?: true;
}

/** The deterministic event id: a hash of what identifies a scored window, hex, 32 characters. */
export function anomalyEventId(series: string, group: string, windowEndMs: number, modelVersion: string): string {
  return createHash('sha256').update(`${series}\u0000${group}\u0000${windowEndMs}\u0000${modelVersion}`).digest('hex').slice(0, 32);
}
