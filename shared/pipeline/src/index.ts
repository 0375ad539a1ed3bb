/**
 * The stages of the pipeline, free of Kafka and Redis: ingest (parse, window, dead-letter
 * decisions), scorer, trainer (with the refit schedule both runners call), the model provider,
 * and the in-memory and on-disk adapters. The services wire them to Kafka and Redis; embedded
 * mode wires them to in-process adapters.
 */
export { processBatch, SourceIds, type BatchOutput, type InputBatch, type OutputMessage } from './ingest/batch';
export { TopicParsers } from './ingest/topic-parsers';

export { ScorerStage, type ScorerStageOptions, type BatchOutcome } from './scorer/scorer-stage';
export { createScorerMetrics, type ScorerMetrics } from './scorer/scorer-metrics';
export { SeriesScoreGauges } from './scorer/series-gauges';
export { ExpectedBands, observeBands, type ExpectedBandsOptions } from './scorer/expected-bands';
export { MaintenanceSchedule, type MaintenanceView, type MaintenancePeriodSource, type MaintenanceScheduleOptions } from './scorer/maintenance';
export { HotSwapModelProvider, type ModelSource, type HotSwapOptions } from './scorer/model-provider';
export { toScoringModel } from './scorer/model-adapter';
export { InMemoryCleanBuffer, InMemoryEpisodeStore, InMemoryEventSink } from './scorer/in-memory';
export type { CleanWindowSink, EpisodeStateStore, EventSink, ModelProvider, ScoringModel, WindowScore } from './scorer/ports';

export { TrainerStage, type RefitOutcome, type RefitPolicy, type TrainerStageOptions } from './trainer/trainer-stage';
export { refitPolicy } from './trainer/refit-policy';
export { createTrainerMetrics, type TrainerMetrics } from './trainer/trainer-metrics';
export { judge, type GateCode, type GatePolicy, type GateVerdict, type HoldoutMetrics } from './trainer/gate';
export { InMemoryLocks, InMemoryModelStore } from './trainer/in-memory';
export type { CleanWindowSource, GateDecision, ModelStore, TrainLocks } from './trainer/ports';
export { refitDue, refitScheduleOf, type GroupFitState, type RefitDecision, type RefitSchedule } from './trainer/refit-schedule';

export { IncidentsStage, type IncidentsOutcome, type IncidentsStageOptions } from './incidents/incidents-stage';
export { createIncidentsMetrics, type IncidentsMetrics } from './incidents/incidents-metrics';
export { InMemoryIncidentSink, InMemoryIncidentStore, newestFirst } from './incidents/in-memory';
export type { IncidentChanges, IncidentReader, IncidentSink, IncidentStore } from './incidents/ports';

export { EpisodeCodes, type EpisodeCodesOptions } from './codes/episode-codes';
export { createCodesMetrics, type CodesMetrics } from './codes/codes-metrics';
export { InMemoryCodeStore } from './codes/in-memory';
export type { CodeStore } from './codes/ports';

export { EmbeddedPipeline, type EmbeddedOptions, type EmbeddedStats } from './embedded/pipeline';
export { DiskCodeStore } from './embedded/disk-code-store';
export { DiskModelStore } from './embedded/disk-model-store';
export { DiskFeedbackStore, DiskHeldBack } from './embedded/disk-feedback-store';
export { InMemoryAdoptionLog, type AdoptionLog } from './adoption/adoption-log';

export { FeedbackRecorder, type FeedbackRecorderOptions, type RecordedFeedback } from './feedback/recorder';
export { handleFeedbackMessage, type FeedbackMessageOutcome } from './feedback/feedback-message';
export {
  checkConfirmed, feedbackReport, loadTrainingFeedback, trainingFeedbackPolicy, weightedFalsePositives,
  type ConfirmedCheck, type ForgottenEpisode, type LabelledEpisode, type TrainingFeedback, type TrainingFeedbackPolicy,
} from './feedback/training-feedback';
export { InMemoryFeedbackStore, InMemoryHeldBack } from './feedback/in-memory';
export type { FeedbackReader, FeedbackStore, HeldBackSink, HeldBackSource } from './feedback/ports';
