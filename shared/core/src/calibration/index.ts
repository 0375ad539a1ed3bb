export { type GpdFit, MIN_EXCESSES, fitGpd, fitGpdMoments, gpdLogLikelihood, gpdSurvival } from './gpd';
export { quantileSorted, sortedFinite } from './quantile';
export { type PotState, type ThresholdMethod, fitGpdOrExponential, fitPot, potQuantile, quantileThreshold } from './threshold';
export {
  type CalibrationState,
  MAX_KNOTS,
  MIN_CALIBRATION_SAMPLES,
  SEVERITY_FULL_SCALE_DECADES,
  calibratedScore,
  exceedanceProbability,
  fitCalibration,
  severityFromExceedance,
  validateCalibration,
} from './calibrator';
export { rocAuc } from './auc';
