import { startServiceShell, type ServiceShell, type ServiceShellOptions } from '@hourglass/runtime';

/**
 * The scorer service. This is its skeleton: it serves /metrics, /healthz and /readyz and shuts
 * down gracefully, and its readiness reflects its dependencies. The stage itself is issue #6 (batch scoring, anomaly episodes, clean buffer).
 */
export const SERVICE_NAME = 'hourglass-scorer';

export function startScorer(options: Omit<ServiceShellOptions, 'name'>): Promise<ServiceShell> {
  return startServiceShell({ ...options, name: SERVICE_NAME });
}

export { ScorerStage, type ScorerStageOptions, type BatchOutcome } from './scorer-stage';
export { createScorerMetrics, type ScorerMetrics } from './scorer-metrics';
export { SeriesScoreGauges } from './series-gauges';
export { HotSwapModelProvider, type ModelSource, type HotSwapOptions } from './model-provider';
export { toScoringModel } from './model-adapter';
export { InMemoryCleanBuffer, InMemoryEpisodeStore, InMemoryEventSink } from './in-memory';
export type { CleanWindowSink, EpisodeStateStore, EventSink, ModelProvider, ScoringModel, WindowScore } from './ports';
