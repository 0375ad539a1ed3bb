import { startServiceShell, type ServiceShell, type ServiceShellOptions } from '@hourglass/runtime';

/**
 * The trainer service. This is its skeleton: it serves /metrics, /healthz and /readyz and shuts
 * down gracefully, and its readiness reflects its dependencies. The stage itself is issue #7 (periodic refits, model registry).
 */
export const SERVICE_NAME = 'hourglass-trainer';

export function startTrainer(options: Omit<ServiceShellOptions, 'name'>): Promise<ServiceShell> {
  return startServiceShell({ ...options, name: SERVICE_NAME });
}

export { TrainerStage, REFIT_DEFAULTS, type RefitOutcome, type RefitPolicy, type TrainerStageOptions } from './trainer-stage';
export { createTrainerMetrics, type TrainerMetrics } from './trainer-metrics';
export { judge, GATE_DEFAULTS, type GatePolicy, type HoldoutMetrics } from './gate';
export { InMemoryLocks, InMemoryModelStore } from './in-memory';
export type { CleanWindowSource, GateDecision, ModelStore, TrainLocks } from './ports';
