export { createKafka, probeKafka, type KafkaConnection, type KafkaLogSink } from './client';
