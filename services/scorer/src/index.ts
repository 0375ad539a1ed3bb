/** The scorer service: windows from Kafka in, anomaly episodes out, normal windows to the Redis clean buffer (the stage is in @hourglass/pipeline). */
export { startScorerService, SERVICE_NAME, type ScorerService } from './service';
export { KafkaEventSink, RegistryModelSource } from './adapters';
