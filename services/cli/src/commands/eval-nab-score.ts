import { PROFILE_NAMES, scoreDetector, type DetectorScores, type ProfileName } from '@hourglass/eval';

/** Options of `hourglass eval nab-score`, as parsed from the command line. */
export interface NabScoreOptions {
  readonly results: string;
  readonly labels: string;
  readonly profiles: string;
  readonly detector: string;
  readonly threshold?: number;
}

/** The machine-readable summary: the three normalised scores first, then thresholds and raw scores. */
export function nabScoreSummary(detector: string, scores: DetectorScores): Record<string, unknown> {
  const per = <T>(get: (p: DetectorScores[ProfileName]) => T) => Object.fromEntries(PROFILE_NAMES.map((n) => [n, get(scores[n])]));
  return {
    ...per((p) => round(p.normalized)),
    detector,
    files: scores.standard.files.length,
    thresholds: per((p) => p.threshold),
    raw: per((p) => p.raw),
    null: per((p) => p.null),
    perfect: per((p) => p.perfect),
    counts: per((p) => ({ tp: p.tp, fp: p.fp, fn: p.fn, tn: p.tn })),
  };
}

/** Scores a detector's NAB result files exactly as NAB does. */
export async function runNabScore(options: NabScoreOptions): Promise<Record<string, unknown>> {
  const scores = await scoreDetector({
    resultsDir: options.results,
    labelsFile: options.labels,
    profilesFile: options.profiles,
    detector: options.detector,
    ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
  });
  return nabScoreSummary(options.detector, scores);
}

/** The summary as a small table for a terminal. */
export function formatNabScore(summary: Record<string, unknown>): string {
  const thresholds = summary.thresholds as Record<string, number>;
  const raw = summary.raw as Record<string, number>;
  const lines = [`NAB scores for ${String(summary.detector)} over ${String(summary.files)} files`, '', 'profile              score   threshold        raw'];
  for (const name of PROFILE_NAMES) {
    lines.push(`${name.padEnd(20)} ${String((summary[name] as number).toFixed(2)).padStart(6)}   ${thresholds[name]!.toPrecision(6).padStart(9)}  ${raw[name]!.toFixed(3).padStart(9)}`);
  }
  return lines.join('\n');
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}
