/**
 * Which row an `open` event is seen at. A window ends on a grid step; on an irregular series many
 * steps have no row of their own, and the scorer publishes the window ending at such a step when
 * the first point after it arrives. So an open is seen at the row of its own step, or else at the
 * first row after it (never before: nothing is attributed earlier than it happened). Opens after
 * the last row are seen nowhere.
 *
 * `rowSteps[i]` is row i's grid step (NaN where the row has none); rows are in time order.
 * Returns, per row that sees one, the end of the open's window.
 */
export function rowsSeeingOpens(opens: Iterable<number>, rowSteps: ArrayLike<number>): Map<number, number> {
  const sorted = [...opens].sort((a, b) => a - b);
  const seen = new Map<number, number>();
  let row = 0;
  for (const end of sorted) {
    while (row < rowSteps.length && !((rowSteps[row] as number) >= end)) row++;
    if (row === rowSteps.length) break;
    // Two opens before one row cannot happen (an episode must close between them); keep the first.
    if (!seen.has(row)) seen.set(row, end);
  }
  return seen;
}
