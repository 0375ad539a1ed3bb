import type { InjectedAnomaly } from './demo-stream';

/** An episode as the checker needs it: the span its windows covered. */
export interface DetectedEpisode {
  readonly series: string;
  readonly startMs: number;
  readonly endMs: number;
}

export interface DetectionQuality {
  readonly precision: number;
  readonly recall: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly missed: readonly InjectedAnomaly[];
}

/**
 * Episode-level precision and recall against injected ground truth. An episode is a true positive
 * when it overlaps an injected anomaly of its series, widened by `toleranceMs` on both sides (a
 * window that ends after an anomaly still contains it). An anomaly counts as found when any
 * episode overlaps it. With no episodes, precision is 1 (nothing claimed, nothing wrong).
 */
export function detectionQuality(episodes: readonly DetectedEpisode[], truth: readonly InjectedAnomaly[], toleranceMs: number): DetectionQuality {
  const overlaps = (e: DetectedEpisode, a: InjectedAnomaly): boolean =>
    e.series === a.series && e.startMs <= a.endMs + toleranceMs && e.endMs >= a.startMs - toleranceMs;
  const truePositives = episodes.filter((e) => truth.some((a) => overlaps(e, a))).length;
  const missed = truth.filter((a) => !episodes.some((e) => overlaps(e, a)));
  return {
    precision: episodes.length === 0 ? 1 : truePositives / episodes.length,
    recall: truth.length === 0 ? 1 : (truth.length - missed.length) / truth.length,
    truePositives,
    falsePositives: episodes.length - truePositives,
    missed,
  };
}
