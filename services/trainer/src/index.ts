/** The trainer: periodic refits from the clean buffer into the versioned registry. */
export { startTrainerService, createRedisTrainer, refitPolicy, registryModelStore, SERVICE_NAME, type TrainerService } from './service';
export { TrainerStage, type RefitOutcome, type RefitPolicy, type TrainerStageOptions } from './trainer-stage';
export { createTrainerMetrics, type TrainerMetrics } from './trainer-metrics';
export { judge, type GateCode, type GatePolicy, type GateVerdict, type HoldoutMetrics } from './gate';
export { InMemoryLocks, InMemoryModelStore } from './in-memory';
export type { CleanWindowSource, GateDecision, ModelStore, TrainLocks } from './ports';
export { refitDue, refitScheduleOf, type GroupFitState, type RefitDecision, type RefitSchedule } from './refit-schedule';
