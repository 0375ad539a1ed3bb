/**
 * What an operator sees, counted: the episodes a detector opens against labelled anomaly windows.
 * A labelled window is found when an episode opens inside it or at most `leadMs` before its start
 * (the episode's window already reached into the anomaly); an episode that opens in no such span is
 * a false one. Unlike NAB's score there is no threshold to sweep: an opened episode is a page.
 */
export interface EpisodeScore {
  readonly rows: number;
  readonly episodes: number;
  readonly windows: number;
  readonly found: number;
  readonly falseEpisodes: number;
}

export function scoreEpisodes(opensMs: readonly number[], windows: readonly (readonly [number, number])[], rows: number, leadMs: number): EpisodeScore {
  const inSpan = (t: number, [start, end]: readonly [number, number]) => t >= start - leadMs && t <= end;
  const found = windows.filter((w) => opensMs.some((t) => inSpan(t, w))).length;
  const falseEpisodes = opensMs.filter((t) => !windows.some((w) => inSpan(t, w))).length;
  return { rows, episodes: opensMs.length, windows: windows.length, found, falseEpisodes };
}

/** Sums per-file scores into one (for a category or the whole set). */
export function sumEpisodeScores(scores: readonly EpisodeScore[]): EpisodeScore {
  const total = { rows: 0, episodes: 0, windows: 0, found: 0, falseEpisodes: 0 };
  for (const s of scores) for (const k of Object.keys(total) as (keyof EpisodeScore)[]) total[k] += s[k];
  return total;
}

/** False episodes per 1,000 rows, the rate an operator pays for. */
export function falsePerThousandRows(s: EpisodeScore): number {
  return s.rows > 0 ? (1000 * s.falseEpisodes) / s.rows : 0;
}
