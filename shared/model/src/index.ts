export { initBackend, requireNativeFromEnv, BackendUnavailableError, type BackendInfo, type BackendName, type BackendOptions, type Tf } from './backend';
export { fitModel, loadModel, parseConfig, MIN_FIT_WINDOWS, type FitOptions, type LoadOptions } from './fit';
export { AnomalyModel, type ScoreBatch } from './model';
export { type TrainProgress, type TrainingReport } from './training';
export { type ThresholdState } from './thresholds';
export { type ModelManifest, ARTIFACT_FORMAT_VERSION, DEFAULT_MAX_ARTIFACT_BYTES } from './artifact';
export type { CodeSummary } from './artifact';
export { type Normalisation, type WindowShape } from './data';
export { type BandCalibration, BAND_PROBABILITIES } from './band';
