import { stillFlagged, type Feedback, type HourglassConfig, type Window } from '@hourglass/core';
import type { FeedbackReader } from './ports';

/** How a refit uses the operators' verdicts (the `feedback` section and the group's episode policy). */
export interface TrainingFeedbackPolicy {
  readonly reader: FeedbackReader;
  /** Each false positive's windows are repeated this many times in the training set. */
  readonly falsePositiveWeight: number;
  /** The group's `episodes.openAfterWindows`: a confirmed episode is still flagged when that many of its windows in a row are. */
  readonly openAfterWindows: (group: string) => number;
}

/** The policy of the config's `feedback` section and groups, over `reader`. */
export function trainingFeedbackPolicy(config: HourglassConfig, reader: FeedbackReader): TrainingFeedbackPolicy {
  return {
    reader, falsePositiveWeight: config.feedback.falsePositiveWeight,
    openAfterWindows: (group) => config.groups.find((g) => g.name === group)?.episodes.openAfterWindows ?? 1,
  };
}

/** One verdict with the windows stored with it that the model being fitted takes (its channel set and length). */
export interface LabelledEpisode {
  readonly feedback: Feedback;
  readonly windows: readonly Window[];
}

/** A group's verdicts as a refit sees them. */
export interface TrainingFeedback {
  readonly falsePositives: readonly LabelledEpisode[];
  readonly confirmed: readonly LabelledEpisode[];
}

/** Reads a group's verdicts and their windows, keeping the windows of the fit's shape (`accepts`). */
export async function loadTrainingFeedback(reader: FeedbackReader, group: string, accepts: (w: Window) => boolean): Promise<TrainingFeedback> {
  const falsePositives: LabelledEpisode[] = [];
  const confirmed: LabelledEpisode[] = [];
  for (const feedback of await reader.list(group)) {
    const windows = (await reader.windows(group, feedback.episodeId)).filter(accepts);
    (feedback.verdict === 'false-positive' ? falsePositives : confirmed).push({ feedback, windows });
  }
  return { falsePositives, confirmed };
}

/**
 * The false positives' windows, each repeated `weight` times: what is added to a refit's training
 * windows (never to its held-out ones, which judge false alarms on the clean buffer alone), so that
 * the pattern an operator called normal weighs as much as `weight` clean windows would. At most
 * `maxWindows` in all (the trainer's `maxWindows`), so that verdicts piling up over months cannot
 * make a fit unboundedly large: fewer repetitions first, then only the newest verdicts' windows.
 */
export function weightedFalsePositives(falsePositives: readonly LabelledEpisode[], weight: number, maxWindows = Number.POSITIVE_INFINITY): Window[] {
  const newestFirst = [...falsePositives].reverse().flatMap((e) => [...e.windows].reverse());
  const distinct = newestFirst.slice(0, Math.max(0, maxWindows)).reverse();
  const repeats = Math.max(1, Math.min(weight, Math.floor(maxWindows / Math.max(1, distinct.length))));
  const out: Window[] = [];
  for (let r = 0; r < repeats; r += 1) out.push(...distinct);
  return out;
}

/** One confirmed episode the candidate would no longer open, while the current model would. */
export interface ForgottenEpisode {
  readonly episodeId: string;
  readonly series: string;
  /** Windows flagged by the candidate and by the current model, of `windows`. */
  readonly candidateFlagged: number;
  readonly currentFlagged: number;
  readonly windows: number;
}

/** What the gate's feedback check found, for the version's report. */
export interface ConfirmedCheck {
  readonly episodeId: string;
  readonly series: string;
  readonly windows: number;
  readonly candidateFlagged: number;
  readonly currentFlagged: number | null;
  /** Whether the candidate still opens an episode on them. */
  readonly kept: boolean;
}

/**
 * The gate's check of the confirmed anomalies: for each, whether the candidate still flags it as
 * the scorer would open it (`stillFlagged`). A candidate that no longer does, where the current
 * model does, is refused: an anomaly an operator confirmed must keep alerting. One the current
 * model does not flag either (a previous version already lost it, or there is no current model)
 * does not refuse the candidate: the refit did not make it worse. Episodes with no stored windows
 * cannot be checked and are left out.
 */
export function checkConfirmed(
  confirmed: readonly LabelledEpisode[],
  openAfterWindows: number,
  candidate: (windows: readonly Window[]) => boolean[],
  current: ((windows: readonly Window[]) => boolean[]) | null,
): { checks: ConfirmedCheck[]; forgotten: ForgottenEpisode[] } {
  const checks: ConfirmedCheck[] = [];
  const forgotten: ForgottenEpisode[] = [];
  for (const { feedback, windows } of confirmed) {
    if (windows.length === 0) continue;
    const byCandidate = candidate(windows);
    const byCurrent = current ? current(windows) : null;
    const kept = stillFlagged(byCandidate, openAfterWindows);
    const count = (flags: readonly boolean[]) => flags.filter(Boolean).length;
    checks.push({ episodeId: feedback.episodeId, series: feedback.series, windows: windows.length, candidateFlagged: count(byCandidate), currentFlagged: byCurrent ? count(byCurrent) : null, kept });
    if (!kept && byCurrent && stillFlagged(byCurrent, openAfterWindows)) {
      forgotten.push({ episodeId: feedback.episodeId, series: feedback.series, candidateFlagged: count(byCandidate), currentFlagged: count(byCurrent), windows: windows.length });
    }
  }
  return { checks, forgotten };
}

/** The feedback a version was trained with, as its report stores it (`hourglass models show`). */
export function feedbackReport(fb: TrainingFeedback, weight: number, checks: readonly ConfirmedCheck[]) {
  const entry = ({ feedback: f, windows }: LabelledEpisode) => ({ episodeId: f.episodeId, series: f.series, by: f.by, at: f.at, note: f.note, windows: windows.length });
  return {
    falsePositiveWeight: weight,
    falsePositives: fb.falsePositives.map(entry),
    confirmed: fb.confirmed.map((c) => ({ ...entry(c), check: checks.find((k) => k.episodeId === c.feedback.episodeId) ?? null })),
  };
}
