/**
 * Infers a series' sampling interval from its first timestamps: the median of the spacings between
 * distinct timestamps in time order, rounded to whole ms (at least 1). The median ignores a few
 * missing or doubled samples; a series whose spacing truly varies should configure `intervalMs`.
 * Returns undefined until there are at least two distinct timestamps.
 */
export function inferIntervalMs(timestampsMs: readonly number[]): number | undefined {
  const distinct = [...new Set(timestampsMs)].sort((a, b) => a - b);
  if (distinct.length < 2) return undefined;
  const gaps: number[] = [];
  for (let i = 1; i < distinct.length; i++) gaps.push(distinct[i]! - distinct[i - 1]!);
  gaps.sort((a, b) => a - b);
  // Lower median: of two middle gaps, the smaller is the likelier true spacing (the larger hides a missing sample).
  const median = gaps[(gaps.length - 1) >> 1]!;
  return Math.max(1, Math.round(median));
}
