import type { Window } from '../contracts/window';

/** A window the scorer kept out of the clean buffer, with the episode it was part of (null: anomalous before any episode opened). */
export interface HeldBackWindow {
  readonly window: Window;
  readonly episodeId: string | null;
}

/**
 * The windows of one episode among the held-back ones: those the scorer tagged with the episode,
 * and the series' untagged windows that end within one window span before its first tagged one
 * (the anomalous run before the K-th window opened it: they hold the pattern's onset). Time
 * ordered, one per window end (a replay can hold a window back twice), at most `max` (the first).
 */
export function episodeWindows(heldBack: readonly HeldBackWindow[], episodeId: string, max: number): Window[] {
  const tagged = heldBack.filter((h) => h.episodeId === episodeId).map((h) => h.window);
  if (tagged.length === 0) return [];
  const series = tagged[0]!.series;
  const openedMs = Math.min(...tagged.map((w) => w.endMs));
  const onset = heldBack
    .filter((h) => h.episodeId === null && h.window.series === series)
    .map((h) => h.window)
    .filter((w) => w.endMs < openedMs && w.endMs >= openedMs - (w.endMs - w.startMs));
  const byEnd = new Map<number, Window>();
  for (const w of [...onset, ...tagged]) if (!byEnd.has(w.endMs)) byEnd.set(w.endMs, w);
  return [...byEnd.values()].sort((a, b) => a.endMs - b.endMs).slice(0, max);
}

/**
 * Whether a model's verdicts on a confirmed episode's windows (time ordered) would still open an
 * episode: a run of `openAfterWindows` anomalous windows in a row, as the scorer's tracker needs
 * (all of them, for an episode with fewer windows stored). The severity and duration filters of
 * `groups[].episodes` are not applied: this asks whether the model flags the pattern at all.
 */
export function stillFlagged(anomalous: readonly boolean[], openAfterWindows: number): boolean {
  if (anomalous.length === 0) return false;
  const need = Math.min(Math.max(1, openAfterWindows), anomalous.length);
  let run = 0;
  for (const a of anomalous) {
    run = a ? run + 1 : 0;
    if (run >= need) return true;
  }
  return false;
}

/** The precision operators reported: confirmed / (confirmed + false positives); null before any verdict. */
export function reportedPrecision(counts: { readonly confirmed: number; readonly falsePositive: number }): number | null {
  const judged = counts.confirmed + counts.falsePositive;
  return judged === 0 ? null : counts.confirmed / judged;
}
