import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { Windower, compileConfig, generateDemoStream, parsePoint, type AnomalyEvent, type Window } from '@hourglass/core';
import { consumerGroupLag, ensureTopics, createKafka } from '@hourglass/kafka';
import { fitModel } from '@hourglass/model';
import { ModelRegistry, createRedis, redisKeys } from '@hourglass/redis';
import { createLogger } from '@hourglass/runtime';
import { startIngest } from '@hourglass/ingest';
import { startScorerService } from '@hourglass/scorer';
import { startTrainerService } from '@hourglass/trainer';
import { DiskModelStore, EmbeddedPipeline } from '@hourglass/pipeline';
import { eventually, integrationInfrastructure, uniqueName, deleteKeys } from '../support/fixtures';
import { collectAnomalies } from '../support/pipeline-fixtures';

const log = createLogger({ level: 'silent' });

/**
 * The only difference between embedded mode and the distributed path is the adapters: the same
 * points, through the same windowing and scoring code with the same model, give the same episodes
 * in one process as through real Kafka (ingest, scorer) and Redis (registry, buffer, checkpoints).
 */
test('embedded mode and Kafka + Redis give the same episodes for the same input', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const config = equivalenceConfig(infra, uniqueName('equiv'), {
    scorer: { batchMaxWindows: 256 },
    // The installed model stays: neither path refits during the comparison (no trainer runs beside the services).
    trainer: { refitIntervalMs: 365 * 86_400_000, refitAfterNewWindows: 1_000_000 },
    epochs: 20,
  });
  const id = config.kafka.clientId;
  const group = config.groups[0]!;
  const demo = generateDemoStream({ days: 4 });
  const points = demo.points.filter((p) => p.series === 'web.latency_ms');
  const messages = points.map((p) => JSON.stringify(p));

  // One model, fitted on the clean first half, installed in both registries as v1.
  const windower = new Windower({ groups: config.groups, maxLiveSeries: 10, seriesIdleTimeoutMs: Number.MAX_SAFE_INTEGER });
  const training: Window[] = [];
  messages.slice(0, Math.floor(messages.length / 2)).forEach((text, offset) => {
    const parsed = parsePoint(Buffer.from(text), null, config.ingest.parse);
    if (parsed.ok) training.push(...windower.offer(parsed.point, { source: 0, offset }, 0).windows);
  });
  const model = await fitModel(group.model, training);
  const artifact = model.toArtifact();
  model.dispose();

  // Embedded path.
  const modelsDir = mkdtempSync(join(tmpdir(), 'equiv-models-'));
  const disk = new DiskModelStore(modelsDir);
  await disk.setCurrent(group.name, (await disk.putVersion(group.name, artifact, {})).version);
  const embeddedEvents: AnomalyEvent[] = [];
  const embedded = new EmbeddedPipeline({ config, modelsDir, registry: new Registry(), log, onEvent: (e) => void embeddedEvents.push(e) });
  await embedded.start();
  for (const text of messages) {
    const parsed = parsePoint(Buffer.from(text), null, config.ingest.parse);
    if (parsed.ok) await embedded.offer(parsed.point);
  }
  await embedded.finish();

  // Distributed path: ingest and scorer services on real Kafka, the model in the real Redis registry.
  const kafka = createKafka(config.kafka);
  await ensureTopics(kafka, [`${id}.points`, `${id}.windows`, `${id}.dlq`, `${id}.anomalies`].map((topic) => ({ topic, numPartitions: 2 })));
  const redis = createRedis(config.redis.url);
  const registry = new ModelRegistry(redis, redisKeys(config.redis.keyPrefix));
  await registry.setCurrent(group.name, (await registry.putVersion(group.name, Buffer.from(artifact), {})).version);
  const scorer = await startScorerService(config, log, { requireNative: false });
  const ingest = await startIngest({ config, log });
  const collected = await collectAnomalies(config);
  t.after(async () => {
    await collected.stop();
    await ingest.stop();
    await scorer.stop();
    await deleteKeys(redis, config.redis.keyPrefix);
    redis.disconnect();
  });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: `${id}.points`, acks: -1, messages: points.map((p, i) => ({ key: p.series, value: messages[i]! })) });
  await producer.disconnect();

  const summary = (events: readonly Record<string, unknown>[]) =>
    [...new Map(events.map((e) => [e.id as string, `${e.state as string} ${e.windowEnd as string} ${e.episodeId as string}`])).values()].sort();
  const expected = summary(embeddedEvents as unknown as Record<string, unknown>[]);
  assert.ok(expected.some((e) => e.startsWith('open')), 'the input must contain anomalies for the comparison to mean anything');
  // The newest windows of a Kafka run wait for one more point (lateness); compare what both could see.
  const lastEnd = Math.max(...embeddedEvents.map((e) => Date.parse(e.windowEnd)));
  await eventually('the distributed path to publish the same events', async () => {
    const got = summary(collected.events.filter((e) => Date.parse(e.windowEnd as string) <= lastEnd));
    return got.length >= expected.length ? got : undefined;
  }, 90_000, 500);
  assert.deepEqual(summary(collected.events.filter((e) => Date.parse(e.windowEnd as string) <= lastEnd)), expected);
});

/**
 * The `trainer` section drives both paths: with a refit after every 300 new clean windows (a
 * non-default policy), embedded mode (refitDue on event time, once per micro-batch) and the trainer
 * service (refitDue on the wall clock, from Redis) both fit a first model from the clean buffer and
 * then refit it more than once over the same four days of points. With the refit switched off (the
 * test above) both keep the one installed model. The exact number of refits may differ by one: the
 * service's buffer keeps growing while a fit runs, the embedded one does not.
 */
test('a non-default refit policy changes embedded mode and the trainer service the same way', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const config = equivalenceConfig(infra, uniqueName('equiv-refit'), {
    scorer: { batchMaxWindows: 128, modelPollIntervalMs: 500 },
    trainer: { minWindows: 200, refitAfterNewWindows: 300, refitIntervalMs: 365 * 86_400_000, retryAfterMissMs: 0, checkIntervalMs: 200, gateFirstModelFalseAlarmBudget: 1, gateFalseAlarmBudget: 1, gateErrorTolerance: 100 },
    epochs: 5,
  });
  const id = config.kafka.clientId;
  const points = generateDemoStream({ days: 4 }).points.filter((p) => p.series === 'web.latency_ms');
  const messages = points.map((p) => JSON.stringify(p));

  const embedded = new EmbeddedPipeline({ config, modelsDir: mkdtempSync(join(tmpdir(), 'equiv-refit-')), registry: new Registry(), log, onEvent: () => undefined });
  await embedded.start();
  for (const text of messages) {
    const parsed = parsePoint(Buffer.from(text), null, config.ingest.parse);
    if (parsed.ok) await embedded.offer(parsed.point);
  }
  await embedded.finish();
  const embeddedPromotions = embedded.stats.fits.filter((f) => f.outcome.status === 'promoted').length;

  const kafka = createKafka(config.kafka);
  await ensureTopics(kafka, [`${id}.points`, `${id}.windows`, `${id}.dlq`, `${id}.anomalies`].map((topic) => ({ topic, numPartitions: 2 })));
  const redis = createRedis(config.redis.url);
  const registry = new ModelRegistry(redis, redisKeys(config.redis.keyPrefix));
  const scorer = await startScorerService(config, log, { requireNative: false });
  const trainer = await startTrainerService(config, log, { requireNative: false });
  const ingest = await startIngest({ config, log });
  t.after(async () => {
    await ingest.stop();
    await scorer.stop();
    await trainer.stop();
    await deleteKeys(redis, config.redis.keyPrefix);
    redis.disconnect();
  });
  // Paced in four parts, so the trainer sees the buffer grow as it would live.
  const producer = kafka.producer();
  await producer.connect();
  const part = Math.ceil(points.length / 4);
  for (let k = 0; k < 4; k++) {
    await producer.send({ topic: `${id}.points`, acks: -1, messages: points.slice(k * part, (k + 1) * part).map((p, i) => ({ key: p.series, value: messages[k * part + i]! })) });
    await eventually(`part ${k + 1} to be scored`, async () => {
      const lag = await consumerGroupLag(kafka, config.scorer.groupId, config.topics.windows);
      return lag.size > 0 && [...lag.values()].every((l) => l === 0) ? true : undefined;
    }, 90_000, 300);
    await sleep(1500); // a check loop or two of the trainer
  }
  await producer.disconnect();
  const servicePromotions = await eventually('the trainer to refit after the first model', async () => {
    const versions = await registry.list('web');
    return versions.length >= 2 ? versions.length : undefined;
  }, 60_000, 500);

  assert.ok(embeddedPromotions >= 2, `embedded mode refits after its first model (promoted ${embeddedPromotions}): ${JSON.stringify(embedded.stats.fits)}`);
  assert.ok(servicePromotions >= 2, `the trainer service refits after its first model (versions ${servicePromotions})`);
  assert.ok(Math.abs(embeddedPromotions - servicePromotions) <= 1, `the same policy gives the same number of fits, give or take one: embedded ${embeddedPromotions}, service ${servicePromotions}`);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Both tests' config: their own topics, groups and key prefix, one group for the demo's web latency; scorer and trainer sections as given. */
function equivalenceConfig(infra: { kafkaBrokers: readonly string[]; redisUrl: string }, id: string, o: { scorer: object; trainer: object; epochs: number }) {
  return compileConfig({
    kafka: { brokers: [...infra.kafkaBrokers], clientId: id },
    redis: { url: infra.redisUrl, keyPrefix: `${id}:` },
    log: { level: 'silent' },
    topics: { windows: `${id}.windows`, anomalies: `${id}.anomalies`, deadLetter: `${id}.dlq` },
    ingest: { groupId: `${id}-ingest`, topics: [`${id}.points`], sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, maxWaitTimeMs: 100 },
    scorer: { groupId: `${id}-scorer`, batchMaxWaitMs: 20, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, ...o.scorer },
    trainer: o.trainer,
    groups: [{
      name: 'web', match: { series: ['web.latency_ms'] }, window: { lengthSteps: 32, intervalMs: 300_000 },
      episodes: { openAfterWindows: 3, closeAfterWindows: 3, ongoingIntervalMs: 3_600_000 },
      model: { epochs: o.epochs, batchSize: 128, seed: 11 },
    }],
  });
}
