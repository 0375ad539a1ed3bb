export { HourglassError, ConfigError, UnavailableError, describeError, type ConfigIssue } from './errors';
export { compileConfig, type HourglassConfig } from './config/config';
export { type Window, windowSteps } from './contracts/window';
export { groupConfigSchema, type GroupConfig } from './config/groups';
export { windowConfigSchema, type WindowConfig } from './config/window-config';
export { anomalyEventId, type AnomalyEvent, type EpisodeState, type Explanation } from './contracts/anomaly-event';
export {
  stepEpisode, inEpisode, severityBand, EPISODE_DEFAULTS, INITIAL_SERIES_STATE,
  type EpisodePolicy, type ScoredWindow, type EpisodeEvent, type SeriesEpisodeState,
} from './episodes/episode-tracker';
export { modelConfigSchema, type ModelConfig } from './config/model-config';
export { seededRng, type Rng } from './random';
export { generateDemoStream, DEMO_DEFAULTS, type DemoOptions, type DemoPoint, type DemoStream, type InjectedAnomaly, type InjectedKind } from './demo/demo-stream';
export { detectionQuality, type DetectedEpisode, type DetectionQuality } from './demo/ground-truth';
