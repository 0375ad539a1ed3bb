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
  /**
   * Changing normals: an episode still open this long after it opened is closed as `adopted`, and
   * the series' windows then enter the clean buffer (anomalous or not) so the next refit learns the
   * new level or shape; no episode opens meanwhile. Adoption ends after closeAfterWindows normal
   * windows in a row (a refit learned the new normal, or the old one came back), or after ADOPTION_LIMIT
   * times adoptAfterMs, so a trainer that never refits cannot leave the series unwatched. A shorter
   * anomaly is never adopted: its windows stay out of the buffer. For adoptAfterMs after an adoption
   * ends, repeat suppression holds back what a half-learned refit still flags (0: off).
   */
  readonly adoptAfterMs: number;
}

/** An adoption that no model has learned after this many adoptAfterMs ends, and the series alarms again. */
export const ADOPTION_LIMIT = 4;

export const EPISODE_DEFAULTS: EpisodePolicy = {
  openAfterWindows: 2, closeAfterWindows: 10, ongoingIntervalMs: 60_000, minSeverity: 0, minDurationMs: 0, suppressRepeatsMs: 0, adoptAfterMs: 0,
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
  /** On a `closed` event: the episode lasted adoptAfterMs and its level or shape becomes the new normal. */
  readonly adopted?: true;
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
  /** When the open episode opened (for adoptAfterMs). */
  readonly openedAtMs?: number | null;
  /** While a new normal is adopted: the model version of the newest window scored meanwhile, and since when. */
  readonly adoptingVersion?: string | null;
  readonly adoptingSinceMs?: number | null;
  /** The last episode ended in an adoption (its repeat suppression lasts at least adoptAfterMs). */
  readonly closedByAdoption?: boolean;
}

export const INITIAL_SERIES_STATE: SeriesEpisodeState = { anomalousRun: 0, normalRun: 0, episodeId: null, lastEmittedEndMs: 0, lastBand: 0, lastEndMs: null };

/**
 * Pure step function: the next state of one series and the event to publish, if any. Windows
 * must arrive in event-time order per series; a window not newer than the last one is a replay
 * and changes nothing, which keeps replays after a crash from opening new episodes.
 */
export function stepEpisode(policy: EpisodePolicy, state: SeriesEpisodeState, window: ScoredWindow): { state: SeriesEpisodeState; event: EpisodeEvent | null } {
  if (state.lastEndMs !== null && window.endMs <= state.lastEndMs) return { state, event: null };
  if (isAdopting(state)) {
    // Learning a new normal: no episodes until M windows in a row are normal again (a refit learned
    // it, or the old level came back), or ADOPTION_LIMIT adoptAfterMs have passed (a trainer that never refits
    // must not leave the series unwatched).
    const normalRun = window.anomalous ? 0 : state.normalRun + 1;
    const learned = normalRun >= policy.closeAfterWindows; // the same hysteresis as closing an episode
    const expired = window.endMs - (state.adoptingSinceMs ?? window.endMs) >= ADOPTION_LIMIT * policy.adoptAfterMs;
    if (!learned && !expired) return { state: { ...state, lastEndMs: window.endMs, normalRun, adoptingVersion: window.modelVersion }, event: null };
    // What a half-learned refit still flags right after is the same trouble: repeat suppression
    // covers adoptAfterMs from here (see suppressedRepeat), so it does not page a second time.
    // An expired adoption was never learned: the series alarms again at once.
    state = { ...state, adoptingVersion: null, adoptingSinceMs: null, anomalousRun: 0, normalRun: 0, runStartMs: null, closedAtMs: window.endMs, closedByAdoption: learned };
  }
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
        state: { ...run, episodeId: id, lastEmittedEndMs: window.endMs, lastBand: band, peakSeverity: window.severity, openedAtMs: window.endMs },
        event: { id, episodeId: id, state: 'open', window },
      };
    }
    if (policy.adoptAfterMs > 0 && window.endMs - (state.openedAtMs ?? window.endMs) >= policy.adoptAfterMs) {
      return {
        state: {
          ...INITIAL_SERIES_STATE, lastEndMs: window.endMs, closedAtMs: window.endMs, closedPeak: Math.max(state.peakSeverity ?? 0, window.severity),
          adoptingVersion: window.modelVersion, adoptingSinceMs: window.endMs,
        },
        event: { id: eventIdOf(window), episodeId: state.episodeId, state: 'closed', window, adopted: true },
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
    state: { ...INITIAL_SERIES_STATE, lastEndMs: window.endMs, normalRun, closedAtMs: window.endMs, closedPeak: state.peakSeverity ?? window.severity, closedByAdoption: false },
    event: { id: eventIdOf(window), episodeId: state.episodeId, state: 'closed', window },
  };
}

/** A would-be opening that repeats the episode closed less than suppressRepeatsMs ago, without exceeding its peak. */
function suppressedRepeat(policy: EpisodePolicy, state: SeriesEpisodeState, window: ScoredWindow): boolean {
  const span = state.closedByAdoption === true ? Math.max(policy.suppressRepeatsMs, policy.adoptAfterMs) : policy.suppressRepeatsMs;
  if (span <= 0 || state.closedAtMs === undefined || state.closedAtMs === null) return false;
  return window.endMs - state.closedAtMs < span && window.severity <= (state.closedPeak ?? 0);
}

/** The window's deterministic event id (a SHA-256): computed only for a window that emits, as most emit nothing. */
function eventIdOf(window: ScoredWindow): string {
  return anomalyEventId(window.series, window.group, window.endMs, window.modelVersion);
}

/** True while a series is inside an open episode: its windows must not enter the clean buffer. */
export function inEpisode(state: SeriesEpisodeState): boolean {
  return state.episodeId !== null;
}

/** True while a series adopts a new normal (adoptAfterMs): its windows go to the clean buffer even when anomalous. */
export function isAdopting(state: SeriesEpisodeState): boolean {
  return state.adoptingVersion !== undefined && state.adoptingVersion !== null;
}

/**
 * Whether a scored window may enter the clean buffer: a normal window outside any episode (the
 * state before and after it), or any window of a series adopting a new normal.
 */
export function cleanEligible(anomalous: boolean, before: SeriesEpisodeState, after: SeriesEpisodeState): boolean {
  if (isAdopting(after)) return true;
  return !anomalous && !inEpisode(after) && !inEpisode(before);
}

/** Severity bands of 25 points (0: <25, 1: <50, 2: <75, 3: ≥75), for "severity rose" updates and metric labels. */
export function severityBand(severity: number): number {
  return Math.min(3, Math.max(0, Math.floor(severity / 25)));
}
