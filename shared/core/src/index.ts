export { HourglassError, ConfigError, UnavailableError, describeError, type ConfigIssue } from './errors';
export { compileConfig, opsPort, type HourglassConfig } from './config/config';
export { type Window, windowSteps } from './contracts/window';
export { groupConfigSchema, type GroupConfig } from './config/groups';
export { windowConfigSchema, type WindowConfig } from './config/window-config';
export { modelConfigSchema, modelTypes, activations, type ModelConfig, type ModelConfigInput, type ModelType } from './config/model-config';
export * from './calibration/index';
export { anomalyEventId, type AnomalyEvent, type EpisodeState, type Explanation } from './contracts/anomaly-event';
export type { WindowScore } from './contracts/window-score';
export {
  stepEpisode, inEpisode, isAdopting, cleanEligible, severityBand, ADOPTION_LIMIT, EPISODE_DEFAULTS, INITIAL_SERIES_STATE,
  type EpisodePolicy, type ScoredWindow, type EpisodeEvent, type SeriesEpisodeState,
} from './episodes/episode-tracker';
export { ingestConfigSchema, kafkaSecuritySchema, parseConfigSchema, parseOverrideSchema, topicParseConfig, type IngestConfig, type KafkaSecurityConfig, type ParseConfig } from './config/ingest-config';
export { type Point, type SourceRef } from './contracts/point';
export { REJECT_REASONS, buildDeadLetter, type DeadLetter, type RejectReason } from './contracts/dead-letter';
export { encodeWindow, encodeWindowsInto, decodeWindow, WindowDecodeError, WindowEncodeError, WINDOW_FORMAT_VERSION } from './contracts/window-codec';
export { encodeWindowBlock, decodeWindows, BLOCK_FORMAT_VERSION } from './contracts/block-codec';
export type { WindowBlock } from './windowing/window-blocks';
export { parsePoint, type ParseResult } from './windowing/parse-point';
export { TIMESTAMP_FORMATS, isTimeZone, parseTimestampText } from './windowing/timestamp';
export { compileGroupMatcher, globToRegExp, type GroupMatcher } from './windowing/group-matcher';
export { inferIntervalMs } from './windowing/interval';
export { SeriesWindow, type OfferOutcome, type OfferResult } from './windowing/series-window';
export { Windower, type WindowerOptions, type WindowerOutcome, type WindowerResult } from './windowing/windower';
export { seededRng, type Rng } from './random';
export { generateDemoStream, DEMO_DEFAULTS, type DemoOptions, type DemoPoint, type DemoStream, type InjectedAnomaly, type InjectedKind } from './demo/demo-stream';
export { detectionQuality, type DetectedEpisode, type DetectionQuality } from './demo/ground-truth';
export { scorerConfigSchema, trainerConfigSchema, type ScorerConfig, type TrainerConfig } from './config/scorer-config';
export { topicsConfigSchema, type TopicsConfig } from './config/topics-config';
export { hourglassConfigSchema } from './config/config';
export { describeSchema, schemaMarkdown, type ConfigField } from './config/schema-doc';
export { incidentId, type Incident, type IncidentGrouping, type IncidentMember, type IncidentState, type SimilarIncident } from './contracts/incident';
export { incidentsConfigSchema, type IncidentsConfig } from './config/incidents-config';
export { compileIncidentKey, type IncidentKeyOf } from './incidents/incident-key';
export {
  IncidentGrouper, toIncident, sortEvents, EVENT_OUTCOMES,
  type EventOutcome, type GroupingPolicy, type IncidentChange, type MemberState, type OpenIncident, type StagedIncidents,
} from './incidents/incident-grouper';
export { codeHasher, hammingDistance, hashToHex, hexToHash, popcount32, type CodeHasher, type CodeHasherOptions } from './codes/semantic-hash';
export type { EpisodeCode, EpisodeVerdict, SimilarEpisode } from './contracts/episode-code';
export { HashIndex, type HashHit, type HashIndexOptions, type LookupStats, type NearestOptions } from './codes/hash-index';
export { similarConfigSchema, type SimilarConfig } from './config/similar-config';
export {
  maintenancePeriodSchema, maintenanceConfigSchema, instantMs, WEEKDAYS,
  type MaintenancePeriod, type MaintenancePeriodInput,
} from './config/maintenance-config';
export { MaintenanceCalendar, GroupMaintenance, weeklyAsCron, type NamedPeriod, type MaintenanceSource } from './maintenance/calendar';
export * from './formats/index';
export type { ExpectedBand, BandValue, StepValue } from './contracts/expected-band';
export { feedbackConfigSchema, type FeedbackConfig } from './config/feedback-config';
export { FEEDBACK_VERDICTS, feedbackRequestSchema, parseFeedbackRequest, type Feedback, type FeedbackRequest, type FeedbackVerdict } from './contracts/feedback';
export { episodeWindows, reportedPrecision, stillFlagged, type HeldBackWindow } from './feedback/episode-windows';
