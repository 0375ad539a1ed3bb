import { decodeWindows, describeError, opsPort, type HourglassConfig, type Window } from '@hourglass/core';
import { BatchFailureLog, createKafka, provideTopics, redeliverable, resolveKafkaSecurity, retryStartup } from '@hourglass/kafka';
import { initBackend } from '@hourglass/model';
import { ModelRegistry, RedisAdoptionLog, RedisEpisodeStore, RedisHeldBackStore, RedisMaintenanceStore, RedisWindowBuffer, createRedis, redisKeys } from '@hourglass/redis';
import { MicroBatcher, createMetricsRegistry, exportBackendInfo, startOpsServer, type Logger, type OpsServer } from '@hourglass/runtime';
import { KafkaEventSink, RegistryModelSource } from './adapters';
import { redisEpisodeCodes } from './codes';
import { ColdStartStatus, type TrainerDecision } from './cold-start-status';
import { ExpectedBands, HotSwapModelProvider, MaintenanceSchedule, ScorerStage, SeriesScoreGauges, createScorerMetrics } from '@hourglass/pipeline';

export const SERVICE_NAME = 'hourglass-scorer';

/** How often /readyz's cold-start reasons and `hourglass_scorer_cold_start_seconds` are re-read from Redis. */
const COLD_START_REFRESH_MS = 5000;

/** A running scorer service. */
export interface ScorerService {
  readonly ops: OpsServer;
  readonly stage: ScorerStage;
  stop(): Promise<void>;
}

/**
 * Composes the scorer: a `hourglass-scorer` consumer on the windows topic whose batches, from
 * several partitions at once, share micro-batches; each partition's offsets are committed only
 * after its windows' events were acknowledged by Kafka (at least once).
 */
export async function startScorerService(config: HourglassConfig, log: Logger, options: { requireNative: boolean }): Promise<ScorerService> {
  const sc = config.scorer;
  const { info } = await initBackend({ requireNative: options.requireNative, warn: (m) => log.warn(m) });
  const registry = createMetricsRegistry(SERVICE_NAME);
  exportBackendInfo(registry, info.name);
  const metrics = createScorerMetrics(registry);

  const kafka = createKafka({ ...config.kafka, clientId: sc.clientId }, log.child({ component: 'kafka' }), resolveKafkaSecurity(config.kafka.security));
  await ensureScorerTopics(kafka, config, log);
  // Commands fail at once while Redis is down (no offline queue): the stage counts and drops them.
  const redis = createRedis(config.redis, { failFast: true });
  redis.on('error', (error: Error) => log.debug({ err: error.message }, 'redis connection error'));
  await waitUntilReady(redis, 5000, log);
  const keys = redisKeys(config.redis.keyPrefix);
  const modelRegistry = new ModelRegistry(redis, keys);
  const groups = config.groups;
  const provider = new HotSwapModelProvider({
    source: new RegistryModelSource(modelRegistry, keys, config.redis), groups: groups.map((g) => g.name), pollIntervalMs: sc.modelPollIntervalMs,
    expectedSteps: (group) => groups.find((g) => g.name === group)?.window.lengthSteps ?? 0, metrics, log: log.child({ component: 'models' }),
  });
  // The config's periods plus those added at run time (Redis), re-read every maintenancePollMs.
  const maintenance = new MaintenanceSchedule({
    configured: config.maintenance, source: new RedisMaintenanceStore(redis, keys), pollIntervalMs: sc.maintenancePollMs, registry, log: log.child({ component: 'maintenance' }),
  });
  await maintenance.start();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await retryStartup('connecting the producer', () => producer.connect(), log);
  const seriesGauges = new SeriesScoreGauges(registry, { allowlist: sc.seriesGaugeAllowlist, topK: sc.seriesGaugeTopK, hardCap: sc.seriesGaugeMax, trackedMax: 10 * sc.seriesGaugeMax + 1000 });
  const stage = new ScorerStage({
    models: provider, events: new KafkaEventSink(producer, config.topics.anomalies),
    clean: new RedisWindowBuffer(redis, keys, sc.bufferMaxWindows), episodes: new RedisEpisodeStore(redis, keys),
    policyFor: (group) => groups.find((g) => g.name === group)!.episodes,
    warmupWindows: sc.warmupWindows, cleanSampleRate: sc.cleanSampleRate, maxTrackedSeries: sc.maxTrackedSeries, metrics,
    seriesGauges,
    bands: new ExpectedBands({ coverage: sc.bandCoverage, gauges: sc.bandGauges, scoreGauges: seriesGauges, registry, log: log.child({ component: 'bands' }) }),
    maintenance, adoptions: new RedisAdoptionLog(redis, keys),
    // Windows kept out of the buffer, for verdicts to come (docs/feedback.md).
    ...(config.feedback.enabled ? { heldBack: new RedisHeldBackStore(redis, keys, config.feedback.heldBackMaxWindows) } : {}),
    codes: redisEpisodeCodes(config, redis, keys, registry, log),
    log: log.child({ component: 'stage' }),
  });
  // Counters start at 0 for every configured group, so "no drops yet" reads 0 and not "no data".
  for (const { name: group } of groups) {
    for (const counter of [metrics.windows, metrics.bufferWrites, metrics.bufferDrops, metrics.coldStartWindows, metrics.unscorable, metrics.heldBackWrites, metrics.heldBackDrops]) counter.inc({ group }, 0);
  }
  await provider.start().catch((error: unknown) => log.warn({ err: describeError(error) }, 'initial model load failed; polling will retry'));
  metrics.coldStartAlertAfter.set(sc.coldStartAlertAfterMs / 1000);
  const buffer = new RedisWindowBuffer(redis, keys, sc.bufferMaxWindows);
  const coldStart = new ColdStartStatus({
    facts: {
      bufferSize: (group) => buffer.size(group),
      oldestBufferedMs: (group) => buffer.oldestAppendedMs(group),
      currentVersion: async (group) => (await modelRegistry.current(group))?.version ?? null,
      lastDecision: async (group) => ((await modelRegistry.decisions(group, 1))[0] as TrainerDecision | undefined) ?? null,
    },
    coldGroups: () => stage.coldStartGroups().filter((group) => provider.modelFor(group) === null),
    minWindows: config.trainer.minWindows, trainerCheckIntervalMs: config.trainer.checkIntervalMs, warmupWindows: sc.warmupWindows, metrics,
  });
  coldStart.start(COLD_START_REFRESH_MS);
  const batcher = new MicroBatcher<Window>((windows) => stage.process(windows).then(() => undefined), { maxItems: sc.batchMaxWindows, maxWaitMs: sc.batchMaxWaitMs });

  const consumer = kafka.consumer({ groupId: sc.groupId, sessionTimeout: sc.sessionTimeoutMs, heartbeatInterval: sc.heartbeatIntervalMs, maxWaitTimeInMs: sc.maxWaitTimeMs });
  let joined = false;
  /** Set when kafkajs gave up on the consumer: the scorer then says so in /readyz instead of looking healthy. */
  let stoppedFor: string | null = null;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  consumer.on(consumer.events.CRASH, (event) => {
    const err = describeError(event.payload.error);
    if (event.payload.restart) log.warn({ err }, 'consumer crashed; kafkajs restarts it and it resumes from the last commit');
    else {
      stoppedFor = err;
      log.error({ err }, 'consumer stopped and will not restart; restart the scorer');
    }
  });
  const failures = new BatchFailureLog(log);
  await retryStartup('connecting the consumer', () => consumer.connect(), log);
  await retryStartup(`subscribing to ${config.topics.windows}`, () => consumer.subscribe({ topic: config.topics.windows, fromBeginning: true }), log);
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: sc.partitionsConsumedConcurrently,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isStale }) => {
      metrics.consumerLag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
      if (batch.messages.length === 0 || isStale()) return;
      const windows: Window[] = [];
      for (const message of batch.messages) {
        try {
          if (message.value) windows.push(...decodeWindows(message.value));
        } catch (error) {
          metrics.undecodable.inc();
          log.warn({ topic: batch.topic, partition: batch.partition, offset: message.offset, err: describeError(error) }, 'skipped a window that does not decode');
        }
      }
      const beat = setInterval(() => void heartbeat().catch(() => undefined), Math.max(500, sc.heartbeatIntervalMs));
      try {
        await batcher.add(windows);
        failures.succeeded();
      } catch (error) {
        // Publishing failed: nothing is committed, and the batch is fetched again (see redeliverable).
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
    registry, host: config.ops.host, port: opsPort(config, 'scorer'),
    readiness: () => ({ ready: joined && stoppedFor === null, details: { backend: info.name, consumer: stoppedFor !== null ? `stopped: ${stoppedFor}` : joined ? 'joined' : 'joining', models: provider.versions(), coldStart: coldStart.describe() } }),
  });
  log.info({ ops: ops.url, backend: info.name, groups: groups.map((g) => g.name) }, 'scorer started');
  return {
    ops,
    stage,
    async stop() {
      await consumer.disconnect(); // lets the in-flight batch finish and commit
      await batcher.flush();
      await producer.disconnect();
      await provider.stop();
      coldStart.stop();
      maintenance.stop();
      redis.disconnect();
      await ops.close();
    },
  };
}

/**
 * The windows topic the scorer reads and the anomalies topic it writes: created when
 * `scorer.createTopics` is on, else waited for (`kafka.topicWaitMs`) and refused with one line that
 * names them and the setting.
 */
async function ensureScorerTopics(kafka: ReturnType<typeof createKafka>, config: HourglassConfig, log: Logger): Promise<void> {
  const sc = config.scorer;
  await provideTopics(kafka, [config.topics.windows, config.topics.anomalies], {
    create: sc.createTopics, partitions: sc.topicPartitions, waitMs: config.kafka.topicWaitMs, setting: 'scorer.createTopics', log,
    howToCreate: 'create them with your Kafka tools, or set scorer.createTopics: true and the scorer creates its windows and anomalies topics (ingest.createTopics creates the windows topic too)',
  });
}

/** Waits briefly for the first Redis connection; a scorer starts without Redis rather than not at all. */
async function waitUntilReady(redis: ReturnType<typeof createRedis>, timeoutMs: number, log: Logger): Promise<void> {
  if (redis.status === 'ready') return;
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!ready) log.warn('Redis is not reachable yet; scoring starts anyway (clean-buffer writes are dropped until it is)');
}
