import type { Explanation } from './anomaly-event';

/**
 * What a model says about one window: the one verdict type from the model (shared/model) through
 * the scorer stage to the episode tracker and the anomaly event.
 */
export interface WindowScore {
  /** The model's raw error (MSE over observed values; for the VAE, mean negative log-likelihood); 0 when nothing was observed. */
  readonly rawError: number;
  /** Calibrated score in [0, 1]: the estimated share of normal windows with a smaller raw error. */
  readonly score: number;
  /** 0 to 100, from the score's tail probability (docs/models.md, "Severity"). */
  readonly severity: number;
  /** log10(1/p) of the calibrated exceedance probability p, in decades (capped at 300); unlike `score`, it does not saturate. */
  readonly surprise: number;
  /**
   * rawError strictly above the model's threshold (never for a window with nothing observed) and,
   * with `model.direction` up or down, deviating that way (docs/models.md, "Direction").
   */
  readonly anomalous: boolean;
  /**
   * rawError strictly above the threshold whatever the direction; absent: the same as `anomalous`.
   * The clean buffer keeps such windows out even when the direction makes them no anomaly.
   */
  readonly aboveThreshold?: boolean;
  /**
   * The steps and channels that carry the error. The scorer's model adapter computes it when first
   * read (lean scoring), so read it only for windows that need one: those that emit an event.
   */
  readonly explanation: Explanation;
}
