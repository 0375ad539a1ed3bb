import type { Kafka } from 'kafkajs';
import { describeError, opsPort, type AnomalyEvent, type HourglassConfig } from '@hourglass/core';
import { BatchFailureLog, createKafka, provideTopics, redeliverable, resolveKafkaSecurity, retryStartup } from '@hourglass/kafka';
import { RedisIncidentStore, createRedis, redisKeys, type Redis } from '@hourglass/redis';
import { MicroBatcher, createMetricsRegistry, startOpsServer, type Logger, type OpsServer } from '@hourglass/runtime';
import { IncidentsStage, createIncidentsMetrics } from '@hourglass/pipeline';
import { KafkaIncidentSink } from './adapters';
import { singleOwnerAssigner } from './single-owner-assigner';

export const SERVICE_NAME = 'hourglass-incidents';

/** Partition batches handled at once; they share micro-batches, so a batch sees every partition's newest events. */
const PARTITIONS_CONCURRENTLY = 16;

/** A running incidents service. */
export interface IncidentsService {
  readonly ops: OpsServer;
  readonly stage: IncidentsStage;
  stop(): Promise<void>;
}

/** The incident store of a config: Redis, namespaced by the incidents consumer group. Shared with `hourglass incidents list|show`. */
export function redisIncidentStore(config: HourglassConfig, redis: Redis): RedisIncidentStore {
  const ic = config.incidents;
  return new RedisIncidentStore(redis, redisKeys(config.redis.keyPrefix), { namespace: ic.groupId, keep: ic.keepIncidents, retentionMs: ic.retentionMs });
}

/**
 * Composes the incidents service: a `hourglass-incidents` consumer on the anomalies topic whose
 * group gives every partition to one member (the others stand by), a micro-batcher that handles
 * the events of all partitions together in event-time order, the incidents stage, and the Redis
 * store. A partition's offsets are committed only after the incident messages its events caused
 * were acknowledged by Kafka and the state was written (at least once, as the scorer).
 */
export async function startIncidentsService(config: HourglassConfig, log: Logger): Promise<IncidentsService> {
  const ic = config.incidents;
  const registry = createMetricsRegistry(SERVICE_NAME);
  const metrics = createIncidentsMetrics(registry);
  const kafka = createKafka({ ...config.kafka, clientId: ic.clientId }, log.child({ component: 'kafka' }), resolveKafkaSecurity(config.kafka.security));
  await ensureIncidentTopics(kafka, config, log);
  // Commands fail at once while Redis is down (no offline queue): the stage counts them and writes again later.
  const redis = createRedis(config.redis, { failFast: true });
  redis.on('error', (error: Error) => log.debug({ err: error.message }, 'redis connection error'));
  await waitUntilReady(redis, 5000, log);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await retryStartup('connecting the producer', () => producer.connect(), log);
  const stage = new IncidentsStage({
    config: ic, sink: new KafkaIncidentSink(producer, config.topics.incidents), store: redisIncidentStore(config, redis), metrics, log: log.child({ component: 'stage' }),
    similarK: config.similar.k,
  });
  for (const outcome of ['opened', 'joined', 'updated', 'unchanged', 'replayed', 'orphaned']) metrics.events.inc({ outcome }, 0);
  const batcher = new MicroBatcher<AnomalyEvent>((events) => stage.process(events).then(() => undefined), { maxItems: ic.batchMaxEvents, maxWaitMs: ic.batchMaxWaitMs });

  let joined = false;
  let owner = false;
  const consumer = kafka.consumer({
    groupId: ic.groupId, sessionTimeout: ic.sessionTimeoutMs, heartbeatInterval: ic.heartbeatIntervalMs, maxWaitTimeInMs: ic.maxWaitTimeMs,
    partitionAssigners: [singleOwnerAssigner(() => owner)],
  });
  /** Set when this member becomes the owner: the open incidents are read again, as the previous owner left them. */
  let takeOver: Promise<void> | null = null;
  let stoppedFor: string | null = null;
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    joined = true;
    const assigned = Object.values(event.payload.memberAssignment).some((partitions) => partitions.length > 0);
    if (assigned && !owner) takeOver = batcher.flush().then(() => stage.start());
    if (assigned !== owner) log.info({ owner: assigned }, assigned ? 'this member owns the anomalies topic now' : 'this member stands by');
    owner = assigned;
  });
  consumer.on(consumer.events.CRASH, (event) => {
    const err = describeError(event.payload.error);
    if (event.payload.restart) log.warn({ err }, 'consumer crashed; kafkajs restarts it and it resumes from the last commit');
    else {
      stoppedFor = err;
      log.error({ err }, 'consumer stopped and will not restart; restart the incidents service');
    }
  });
  const failures = new BatchFailureLog(log, 'incidents');
  await retryStartup('connecting the consumer', () => consumer.connect(), log);
  await retryStartup(`subscribing to ${config.topics.anomalies}`, () => consumer.subscribe({ topic: config.topics.anomalies, fromBeginning: true }), log);
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isStale }) => {
      metrics.consumerLag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
      if (batch.messages.length === 0 || isStale()) return;
      if (takeOver) await takeOver;
      const events: AnomalyEvent[] = [];
      for (const message of batch.messages) {
        const event = message.value ? parseAnomalyEvent(message.value.toString()) : null;
        if (event) events.push(event);
        else {
          metrics.undecodable.inc();
          log.warn({ topic: batch.topic, partition: batch.partition, offset: message.offset }, 'skipped a message that is not an anomaly event');
        }
      }
      const beat = setInterval(() => void heartbeat().catch(() => undefined), Math.max(500, ic.heartbeatIntervalMs));
      try {
        await batcher.add(events);
        failures.succeeded();
      } catch (error) {
        metrics.failedBatches.inc();
        failures.failed(error);
        throw redeliverable(error);
      } finally {
        clearInterval(beat);
      }
      if (isStale()) return;
      resolveOffset(batch.lastOffset());
      await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }] }] });
    },
  });

  const ops = await startOpsServer({
    registry, host: config.ops.host, port: opsPort(config, 'incidents'),
    readiness: () => ({
      ready: joined && stoppedFor === null,
      details: { consumer: stoppedFor !== null ? `stopped: ${stoppedFor}` : joined ? 'joined' : 'joining', role: owner ? 'owner' : 'standby', openIncidents: stage.openCount(), groupBy: ic.groupBy },
    }),
  });
  log.info({ ops: ops.url, groupBy: ic.groupBy, joinWithinMs: ic.joinWithinMs }, 'incidents service started');
  return {
    ops,
    stage,
    async stop() {
      await consumer.disconnect(); // lets the in-flight batch finish and commit
      await batcher.flush();
      await producer.disconnect();
      redis.disconnect();
      await ops.close();
    },
  };
}

/** An anomaly event from its JSON text, or null when it does not have the contract's identifying fields. */
export function parseAnomalyEvent(text: string): AnomalyEvent | null {
  try {
    const e = JSON.parse(text) as Partial<AnomalyEvent> | null;
    if (typeof e !== 'object' || e === null) return null;
    const strings = [e.id, e.episodeId, e.series, e.group, e.modelVersion, e.windowEnd];
    if (strings.some((s) => typeof s !== 'string') || !Number.isFinite(Date.parse(e.windowEnd!))) return null;
    if (e.state !== 'open' && e.state !== 'ongoing' && e.state !== 'closed') return null;
    if (typeof e.severity !== 'number' || !Number.isFinite(e.severity)) return null;
    return e as AnomalyEvent;
  } catch {
    return null;
  }
}

/**
 * The anomalies topic the service reads and the incidents topic it writes: created when
 * `incidents.createTopics` is on, else waited for (`kafka.topicWaitMs`) and refused with one line.
 */
async function ensureIncidentTopics(kafka: Kafka, config: HourglassConfig, log: Logger): Promise<void> {
  const ic = config.incidents;
  await provideTopics(kafka, [config.topics.anomalies, config.topics.incidents], {
    create: ic.createTopics, partitions: ic.topicPartitions, waitMs: config.kafka.topicWaitMs, setting: 'incidents.createTopics', log,
    howToCreate: 'create them with your Kafka tools, or set incidents.createTopics: true and the incidents service creates its anomalies and incidents topics',
  });
}

/** Waits briefly for the first Redis connection; the service starts without Redis rather than not at all. */
async function waitUntilReady(redis: Redis, timeoutMs: number, log: Logger): Promise<void> {
  if (redis.status === 'ready') return;
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!ready) log.warn('Redis is not reachable yet; incidents start without their checkpoint (state writes are retried with each batch)');
}
