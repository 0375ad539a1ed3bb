import { anomalyEventId, type EpisodeState } from '../contracts/anomaly-event';
import type { WindowScore } from '../contracts/window-score';

/** How anomalous windows become episodes. Units in the names; defaults in EPISODE_DEFAULTS. */
export interface EpisodePolicy {
  /** K: an episode opens on the K-th anomalous window in a row (1 = the first). */
  readonly openAfterWindows: number;
  /** M: an open episode closes after M normal windows in a row (hysteresis). */
  readonly closeAfterWindows: number;
  /** At most one `ongoing` update per this much event time, unless the severity band rises. */
  readonly ongoingIntervalMs: number;
  /**
   * Severity floor: an anomalous window below it counts as normal for opening and keeping episodes
   * (it still stays out of the clean buffer, which the model's own threshold decides).
   */
  readonly minSeverity: number;
  /** An episode opens only once its run of anomalous windows spans this much event time (0: at once). */
  readonly minDurationMs: number;
  /**
   * Repeat suppression: within this much event time after an episode closed, a new one opens only
   * if its severity exceeds the closed episode's peak; a series that re-alarms on the same trouble
   * pages once, not at every flicker (0: off).
   */
  readonly suppressRepeatsMs: number;
}

export const EPISODE_DEFAULTS: EpisodePolicy = {
  openAfterWindows: 1, closeAfterWindows: 3, ongoingIntervalMs: 60_000, minSeverity: 0, minDurationMs: 0, suppressRepeatsMs: 0,
};

/** One scored window as the tracker needs it: which window, and the parts of its WindowScore that decide episodes. */
export interface ScoredWindow extends Pick<WindowScore, 'score' | 'severity' | 'anomalous'> {
  readonly series: string;
  readonly group: string;
  readonly modelVersion: string;
  readonly startMs: number;
  readonly endMs: number;
  /** The model's threshold on the score scale, carried into the event. */
  readonly threshold: number;
}

/** What the tracker decided to publish for a window (at most one per window). */
export interface EpisodeEvent {
  readonly id: string;
  readonly episodeId: string;
  readonly state: EpisodeState;
  readonly window: ScoredWindow;
}

/**
 * The per-series memory of the tracker. Small and plain, so the scorer can checkpoint it (Redis)
 * and a replacement scorer can continue an open episode instead of starting a second one.
 */
export interface SeriesEpisodeState {
  readonly anomalousRun: number;
  readonly normalRun: number;
  readonly episodeId: string | null;
  readonly lastEmittedEndMs: number;
  readonly lastBand: number;
  /** Newest window end seen (null: none yet); older (replayed) windows are ignored. */
  readonly lastEndMs: number | null;
  /*
   * The fields below are optional: checkpoints written before they existed lack them, and a missing
   * one reads as its initial value.
   */
  /** End of the first window of the current anomalous run (for minDurationMs). */
  readonly runStartMs?: number | null;
  /** Highest severity of the open episode (for repeat suppression once it closes). */
  readonly peakSeverity?: number;
  /** When the last episode closed, and its peak severity (repeat suppression). */
  readonly closedAtMs?: number | null;
  readonly closedPeak?: number;
}

export const INITIAL_SERIES_STATE: SeriesEpisodeState = { anomalousRun: 0, normalRun: 0, episodeId: null, lastEmittedEndMs: 0, lastBand: 0, lastEndMs: null };

/**
 * Pure step function: the next state of one series and the event to publish, if any. Windows
 * must arrive in event-time order per series; a window not newer than the last one is a replay
 * and changes nothing, which keeps replays after a crash from opening new episodes.
 */
export function stepEpisode(policy: EpisodePolicy, state: SeriesEpisodeState, window: ScoredWindow): { state: SeriesEpisodeState; event: EpisodeEvent | null } {
  if (state.lastEndMs !== null && window.endMs <= state.lastEndMs) return { state, event: null };
  const band = severityBand(window.severity);
  const base = { ...state, lastEndMs: window.endMs };
  const counts = window.anomalous && window.severity >= policy.minSeverity;

  if (counts) {
    const anomalousRun = state.anomalousRun + 1;
    const runStartMs = anomalousRun === 1 ? window.endMs : (state.runStartMs ?? window.endMs);
    if (state.episodeId === null) {
      const run = { ...base, anomalousRun, normalRun: 0, runStartMs };
      if (anomalousRun < policy.openAfterWindows || window.endMs - runStartMs < policy.minDurationMs || suppressedRepeat(policy, state, window)) return { state: run, event: null };
      const id = eventIdOf(window);
      return {
        state: { ...run, episodeId: id, lastEmittedEndMs: window.endMs, lastBand: band, peakSeverity: window.severity },
        event: { id, episodeId: id, state: 'open', window },
      };
    }
    const due = window.endMs - state.lastEmittedEndMs >= policy.ongoingIntervalMs || band > state.lastBand;
    const next = { ...base, anomalousRun, normalRun: 0, runStartMs, peakSeverity: Math.max(state.peakSeverity ?? 0, window.severity) };
    if (!due) return { state: next, event: null };
    return {
      state: { ...next, lastEmittedEndMs: window.endMs, lastBand: Math.max(band, state.lastBand) },
      event: { id: eventIdOf(window), episodeId: state.episodeId, state: 'ongoing', window },
    };
  }

  const normalRun = state.normalRun + 1;
  if (state.episodeId === null) return { state: { ...base, anomalousRun: 0, normalRun, runStartMs: null }, event: null };
  if (normalRun < policy.closeAfterWindows) return { state: { ...base, anomalousRun: 0, normalRun, runStartMs: null }, event: null };
  return {
    state: { ...INITIAL_SERIES_STATE, lastEndMs: window.endMs, normalRun, closedAtMs: window.endMs, closedPeak: state.peakSeverity ?? window.severity },
    event: { id: eventIdOf(window), episodeId: state.episodeId, state: 'closed', window },
  };
}

/** A would-be opening that repeats the episode closed less than suppressRepeatsMs ago, without exceeding its peak. */
function suppressedRepeat(policy: EpisodePolicy, state: SeriesEpisodeState, window: ScoredWindow): boolean {
  if (policy.suppressRepeatsMs <= 0 || state.closedAtMs === undefined || state.closedAtMs === null) return false;
  return window.endMs - state.closedAtMs < policy.suppressRepeatsMs && window.severity <= (state.closedPeak ?? 0);
}

/** The window's deterministic event id (a SHA-256): computed only for a window that emits, as most emit nothing. */
function eventIdOf(window: ScoredWindow): string {
  return anomalyEventId(window.series, window.group, window.endMs, window.modelVersion);
}

/** True while a series is inside an open episode: its windows must not enter the clean buffer. */
export function inEpisode(state: SeriesEpisodeState): boolean {
  return state.episodeId !== null;
}

/** Severity bands of 25 points (0: <25, 1: <50, 2: <75, 3: ≥75), for "severity rose" updates and metric labels. */
export function severityBand(severity: number): number {
  return Math.min(3, Math.max(0, Math.floor(severity / 25)));
}
