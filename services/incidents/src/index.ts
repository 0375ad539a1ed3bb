/** The incidents service: anomaly events from Kafka in, incidents out (the stage is in @hourglass/pipeline). */
export { startIncidentsService, redisIncidentStore, parseAnomalyEvent, SERVICE_NAME, type IncidentsService } from './service';
export { KafkaIncidentSink } from './adapters';
export { singleOwnerAssigner } from './single-owner-assigner';
