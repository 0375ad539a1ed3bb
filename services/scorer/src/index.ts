/** The scorer: windows in, anomaly episodes out, normal windows to the clean buffer. */
export { startScorerService, SERVICE_NAME, type ScorerService } from './service';
export { KafkaEventSink, RegistryModelSource } from './adapters';
export { ScorerStage, type ScorerStageOptions, type BatchOutcome } from './scorer-stage';
export { createScorerMetrics, type ScorerMetrics } from './scorer-metrics';
export { SeriesScoreGauges } from './series-gauges';
export { HotSwapModelProvider, type ModelSource, type HotSwapOptions } from './model-provider';
export { toScoringModel } from './model-adapter';
export { InMemoryCleanBuffer, InMemoryEpisodeStore, InMemoryEventSink } from './in-memory';
export type { CleanWindowSink, EpisodeStateStore, EventSink, ModelProvider, ScoringModel, WindowScore } from './ports';
