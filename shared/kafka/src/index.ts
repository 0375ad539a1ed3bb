export { createKafka, probeKafka, type KafkaConnection, type KafkaLogSink } from './client';
export { resolveKafkaSecurity, SecretFileError, type KafkaClientSecurity } from './security';
export { ensureTopics, provideTopics, waitForTopics, consumerGroupLag, MissingTopicsError, type TopicSpec } from './topics';
export { retryStartup, type RetryLog } from './startup';
export { redeliverable } from './redelivery';
export { BatchFailureLog, type FailureLogger } from './batch-failure-log';
