/** Fewest windows an early-closed micro-batch holds: an early close must not turn into batches of a few windows. */
export const MIN_EARLY_BATCH = 64;

/**
 * How many of a group's windows close its next micro-batch early, or null for none (the batch
 * closes at the pipeline's batch size). A model fitted on fewer than `maxWindows` clean windows is
 * young: its next batch closes once as many new windows have come as it was fitted on, so the
 * refit that the flush then checks (refitDue, on event time) can come while its data has doubled
 * (fitted on 600, then 1,200, 2,400, ...), not a whole batch later. A file replayed in seconds
 * would otherwise keep a first model fitted on a few hundred windows for thousands of rows; the
 * trainer service refits every `refitIntervalMs` of wall-clock time, which on a live stream comes
 * long before its data doubles. A cold group's batch closes at `minWindows` buffered windows, as
 * the trainer service fits one, unless the caller fits the first model itself.
 */
export function youngModelBatch(g: { hasModel: boolean; fittedOn: number | null; buffered: number; minWindows: number; maxWindows: number; firstFit: 'minWindows' | 'caller' }): number | null {
  if (!g.hasModel) {
    if (g.firstFit === 'caller') return null;
    // Still cold after a refused fit (buffer at or over minWindows): the next try after minWindows more.
    const missing = g.buffered < g.minWindows ? g.minWindows - g.buffered : g.minWindows;
    return Math.max(MIN_EARLY_BATCH, missing);
  }
  if (g.fittedOn === null || g.fittedOn >= g.maxWindows) return null;
  return Math.max(MIN_EARLY_BATCH, g.fittedOn);
}
