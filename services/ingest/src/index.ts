import { Windower, opsPort, type HourglassConfig } from '@hourglass/core';
import { createKafka, provideTopics, resolveKafkaSecurity } from '@hourglass/kafka';
import { TopicParsers } from '@hourglass/pipeline';
import { createMetricsRegistry, startOpsServer, type LifecycleState, type Logger, type OpsServer } from '@hourglass/runtime';
import { IngestConsumer } from './consumer';
import { createIngestMetrics } from './metrics';

export { IngestConsumer, type IngestConsumerOptions } from './consumer';
export { createIngestMetrics, type IngestMetrics } from './metrics';

/** The ingest service's name in logs and `hourglass_build_info`. */
export const SERVICE_NAME = 'hourglass-ingest';

/** A running ingest service: its ops endpoint, its lifecycle state, and a graceful stop. */
export interface IngestService {
  readonly ops: OpsServer;
  state(): LifecycleState;
  /** Finishes the in-flight batch (produced and committed), leaves the group, closes the ops server. */
  stop(): Promise<void>;
}

/**
 * Starts ingest: Kafka points to sliding windows (docs/ingest.md). Serves /metrics, /healthz and
 * /readyz (connected and assigned) on `config.ops`. Reads secret files named in the config; logs none.
 */
export async function startIngest(options: { config: HourglassConfig; log: Logger }): Promise<IngestService> {
  const { config, log } = options;
  const ingest = config.ingest;
  let state: LifecycleState = 'starting';
  const security = resolveKafkaSecurity(config.kafka.security);
  const kafka = createKafka({ ...config.kafka, clientId: ingest.clientId }, log.child({ component: 'kafkajs' }), security);
  await ensureIngestTopics(kafka, config, log);
  const registry = createMetricsRegistry(SERVICE_NAME);
  // Blocks: one windows-topic message per series run per batch (format version 2), no Window objects.
  const windower = new Windower({ groups: config.groups, maxLiveSeries: ingest.maxLiveSeries, seriesIdleTimeoutMs: ingest.seriesIdleTimeoutMs, blocks: true });
  const metrics = createIngestMetrics(registry, () => windower.liveSeries);
  const parsers = new TopicParsers({ ingest, groups: config.groups });
  const consumer = new IngestConsumer({ kafka, config: ingest, topics: config.topics, windower, parsers, metrics, log: log.child({ component: 'ingest-consumer' }) });
  const ops = await startOpsServer({
    registry,
    host: config.ops.host,
    port: opsPort(config, 'ingest'),
    readiness: () => {
      const r = consumer.readiness();
      return { ready: state === 'running' && r.ready, details: { state, ...r.details } };
    },
  });
  await consumer.start();
  state = 'running';
  log.info({ ops: ops.url, topics: ingest.topics, topicPatterns: ingest.topicPatterns, groupId: ingest.groupId }, `${SERVICE_NAME} started`);
  return {
    ops,
    state: () => state,
    async stop() {
      if (state === 'stopping' || state === 'stopped') return;
      state = 'stopping';
      await consumer.stop();
      await ops.close();
      state = 'stopped';
      log.info(`${SERVICE_NAME} stopped`);
    },
  };
}

/**
 * Every topic ingest reads by name or writes: created when `ingest.createTopics` is on, else waited
 * for (`kafka.topicWaitMs`) and refused with one line that names them and the setting. Topics
 * matched by `topicPatterns` cannot be known in advance; a pattern that matches nothing yet is fine.
 */
async function ensureIngestTopics(kafka: ReturnType<typeof createKafka>, config: HourglassConfig, log: Logger): Promise<void> {
  const ingest = config.ingest;
  await provideTopics(kafka, [...ingest.topics, config.topics.windows, config.topics.deadLetter], {
    create: ingest.createTopics, partitions: ingest.topicPartitions, waitMs: config.kafka.topicWaitMs, setting: 'ingest.createTopics', log,
    howToCreate: 'create them with your Kafka tools, or set ingest.createTopics: true and ingest creates its input, windows and dead-letter topics',
  });
}
