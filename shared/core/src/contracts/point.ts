/**
 * One parsed input point: a series, an event time and one value per channel. Channels are sorted by
 * name (a univariate point has the single channel `value`), so two points of one series compare by index.
 */
export interface Point {
  readonly series: string;
  /** Event time, epoch ms (fractions allowed; windowing snaps it to the series' grid). */
  readonly timestampMs: number;
  /** Channel names, sorted; `['value']` for a univariate point. */
  readonly channels: readonly string[];
  /** One finite number per channel, in `channels` order. */
  readonly values: readonly number[];
}

/**
 * Where a point came from, as far as replay needs it: an opaque numeric id of its topic-partition
 * (assigned by the adapter) and its offset there. Windowing keeps these to say which offset is safe to commit.
 */
export interface SourceRef {
  readonly source: number;
  readonly offset: number;
}
