/**
 * The expected-value band of a window's newest step (docs/scorer.md, "The expected-value band"):
 * what the model expected there (its reconstruction, de-normalised into data units), and the
 * interval that held `coverage` of the newest-step errors on the model's validation windows.
 * A value outside [lower, upper] is what the model found surprising.
 */
export interface ExpectedBand {
  /** Event time of the newest step (the window's end), epoch ms. */
  readonly ts: number;
  /** The share of held-out newest-step values the band held when the model was fitted (`scorer.band.coverage`). */
  readonly coverage: number;
  /** One entry per channel, in the window's channel order. */
  readonly channels: readonly BandValue[];
}

/** One channel at one step, in data units. */
export interface BandValue {
  readonly channel: string;
  /** The observed value; null where the step was missing (filled). */
  readonly actual: number | null;
  /** The model's reconstruction. */
  readonly expected: number;
  /** The band's bounds; null for a model fitted before bands existed (no calibration to draw them from). */
  readonly lower: number | null;
  readonly upper: number | null;
}

/** Actual and expected value of one channel at one of an explanation's top steps. */
export interface StepValue {
  readonly channel: string;
  readonly actual: number | null;
  readonly expected: number;
}
