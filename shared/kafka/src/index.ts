export { CONSUMER_STALLED_EXIT_CODE, createKafka, probeKafka, type KafkaConnection, type KafkaLogSink } from './client';
export { stallWatch, watchConsumer, type StallWatch, type WatchOptions } from './watchdog';
export { resolveKafkaSecurity, SecretFileError, type KafkaClientSecurity } from './security';
export { createTopicsAndWait, ensureTopics, provideTopics, waitForTopics, consumerGroupLag, MissingTopicsError, type TopicSpec } from './topics';
export { retryStartup, type RetryLog } from './startup';
export { redeliverable } from './redelivery';
export { BatchFailureLog, type FailureLogger } from './batch-failure-log';
