/**
 * Area under the ROC curve of scores where higher means "more positive": the probability that a
 * random positive outscores a random negative, ties counting one half (Mann–Whitney U / (n₊ n₋)).
 */
export function rocAuc(negatives: readonly number[], positives: readonly number[]): number {
  if (negatives.length === 0 || positives.length === 0) throw new RangeError('ROC AUC needs at least one negative and one positive');
  const all = [...negatives.map((s) => ({ s, pos: false })), ...positives.map((s) => ({ s, pos: true }))];
  if (all.some((e) => Number.isNaN(e.s))) throw new RangeError('ROC AUC of NaN scores');
  all.sort((a, b) => a.s - b.s);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && (all[j + 1] as { s: number }).s === (all[i] as { s: number }).s) j += 1;
    const midRank = (i + j) / 2 + 1; // tied scores share their average rank
    for (let k = i; k <= j; k += 1) if ((all[k] as { pos: boolean }).pos) rankSum += midRank;
    i = j + 1;
  }
  const np = positives.length;
  return (rankSum - (np * (np + 1)) / 2) / (np * negatives.length);
}
