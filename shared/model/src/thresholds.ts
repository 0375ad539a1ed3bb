import { HourglassError, type ModelConfig, type PotState, fitPot, potQuantile, quantileThreshold } from '@hourglass/core';

/**
 * The decision threshold of a model, on raw errors (a window is anomalous when its raw error is
 * strictly above `value`). A threshold is fixed for the life of a model version: refits move it,
 * scorers never do, so every scorer and every replay judges a window alike.
 */
export interface ThresholdState {
  readonly method: ModelConfig['threshold']['method'];
  readonly value: number;
  readonly pot?: PotState;
}

/** Chooses the threshold from validation errors, as the config's threshold section says. */
export function chooseThreshold(config: ModelConfig['threshold'], errors: readonly number[]): ThresholdState {
  switch (config.method) {
    case 'fixed':
      if (config.value === undefined) throw new HourglassError('MODEL_CONFIG_INVALID', 'threshold method fixed needs threshold.value');
      return { method: 'fixed', value: config.value };
    case 'quantile':
      return { method: 'quantile', value: quantileThreshold(errors, config.quantile) };
    case 'pot': {
      const pot = fitPot(errors, config.risk, config.initialQuantile);
      return { method: 'pot', value: pot.threshold, pot };
    }
  }
}

/** Problems with a deserialised threshold, empty when usable. */
export function validateThreshold(t: ThresholdState): string[] {
  const issues: string[] = [];
  if (!['fixed', 'quantile', 'pot'].includes(t.method)) issues.push(`unknown threshold method ${String(t.method)}`);
  if (typeof t.value !== 'number' || !Number.isFinite(t.value)) issues.push('threshold value must be a finite number');
  if (t.method === 'pot' && t.pot === undefined) issues.push('threshold method pot needs its POT state');
  if (t.pot !== undefined) {
    const p = t.pot;
    const numbers = [p.initialThreshold, p.gpd?.shape, p.gpd?.scale, p.count, p.peakCount, p.risk, p.threshold];
    if (numbers.some((v) => typeof v !== 'number' || !Number.isFinite(v)) || !(p.gpd.scale > 0) || !(p.risk > 0 && p.risk < 1)) issues.push('threshold POT state is not finite and valid');
    else if (Math.abs(potQuantile(p.initialThreshold, p.gpd, p.risk, p.count, Math.max(1, p.peakCount)) - p.threshold) > 1e-9 * Math.max(1, Math.abs(p.threshold))) {
      issues.push('threshold POT state is inconsistent with its threshold');
    } else if (t.value !== p.threshold) issues.push('threshold value is inconsistent with its POT state');
  }
  return issues;
}
