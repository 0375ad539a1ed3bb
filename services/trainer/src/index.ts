/** The trainer service: periodic refits from the Redis clean buffer into the versioned registry (the stage is in @hourglass/pipeline). */
export { startTrainerService, createRedisTrainer, registryModelStore, SERVICE_NAME, type TrainerService } from './service';
export { redisFeedbackRecorder, createFeedbackMetrics, refreshFeedbackGauges, type FeedbackMetrics } from './feedback';
export { startFeedbackConsumer, type FeedbackConsumer } from './feedback-consumer';
