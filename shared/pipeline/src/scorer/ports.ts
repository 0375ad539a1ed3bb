import type { AnomalyEvent, ExpectedBand, Explanation, SeriesEpisodeState, Window, WindowScore } from '@hourglass/core';

/** What a loaded model says about one window: core's one verdict type, from the model to the event. */
export type { WindowScore };

/**
 * One batch's verdicts as columns: row i is the i-th window scored, with WindowScore's meanings
 * (`anomalous` and `aboveThreshold` are 1 or 0). The stage's hot path reads these instead of an
 * object per window, and asks for the explanations of the rows that emit an event in one call.
 */
export interface ScoreColumns {
  readonly n: number;
  readonly score: ArrayLike<number>;
  readonly severity: ArrayLike<number>;
  readonly surprise: ArrayLike<number>;
  readonly anomalous: ArrayLike<number>;
  readonly aboveThreshold: ArrayLike<number>;
  /** The explanations of these rows, in their order (the real model: one network pass for all of them). */
  explain(rows: readonly number[]): Explanation[];
}

/** A model ready to score one group's windows. */
export interface ScoringModel {
  readonly group: string;
  readonly version: string;
  readonly threshold: number;
  /** Window length (W) the model was fitted on. */
  readonly steps: number;
  /** False when the window's shape (steps, channels) is not the one the model was fitted on. */
  accepts(window: Window): boolean;
  /** Scores a batch of accepted windows; the result is in the same order as the input. */
  score(windows: readonly Window[]): WindowScore[];
  /** The same verdicts as columns (equal to score()'s); absent on test doubles, whose score() the stage then reads. */
  scoreColumns?(windows: readonly Window[]): ScoreColumns;
  /**
   * The expected-value band at each window's newest step, at `coverage` (one network pass over
   * just these windows). Optional: a model that cannot reconstruct gives none.
   */
  bands?(windows: readonly Window[], coverage: number): ExpectedBand[];
  /**
   * The code of each window (for the VAE, the encoder mean), for the few windows that emit an
   * event (docs/incidents.md); absent on models that have none (test doubles).
   */
  encode?(windows: readonly Window[]): Float32Array[];
  /** The per-dimension median of the training windows' codes, which hashes are taken around; null when the model has none. */
  readonly codeCenter?: readonly number[] | null;
  /** Releases native memory; called once no batch uses the model any more. */
  dispose(): void;
}

/** Where the scorer finds each group's current model (the Redis registry, or a folder on disk). */
export interface ModelProvider {
  /** The model to use for `group` now, or null while the group has no model yet (cold start). */
  modelFor(group: string): ScoringModel | null;
}

/** Where anomaly events go; resolves only once they are durably accepted (Kafka acks). */
export interface EventSink {
  publish(events: readonly AnomalyEvent[]): Promise<void>;
}

/** The clean-window buffer the trainer fits from. May fail (Redis down): the scorer carries on. */
export interface CleanWindowSink {
  /** Appends; with `keepNewest`, the group's buffer then holds (about) only its newest that many windows. */
  append(group: string, windows: readonly Window[], keepNewest?: number): Promise<void>;
  size(group: string): Promise<number>;
}

/** Per-series episode state, checkpointed so a replacement scorer continues open episodes. */
export interface EpisodeStateStore {
  load(group: string, series: readonly string[]): Promise<Map<string, SeriesEpisodeState>>;
  save(group: string, states: ReadonlyMap<string, SeriesEpisodeState>): Promise<void>;
}
