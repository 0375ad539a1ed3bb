import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anomalyEventId } from '@hourglass/core';
import { createRedis, redisKeys, ModelRegistry } from '@hourglass/redis';
import { createLogger } from '@hourglass/runtime';
import { startScorerService } from '@hourglass/scorer';
import { refitPolicy } from '@hourglass/pipeline';
import { createRedisTrainer } from '@hourglass/trainer';
import { eventually, integrationInfrastructure, deleteKeys } from '../support/fixtures';
import { collectAnomalies, createPipelineTopics, pipelineTestConfig, produceWindows, sineWindows } from '../support/pipeline-fixtures';

const log = createLogger({ level: process.env.HOURGLASS_TEST_LOG ?? 'silent' });

test('scorer + trainer on real Kafka and Redis: cold start buffers, the first fit starts events, a swap mid-stream loses nothing', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const config = pipelineTestConfig(infra);
  await createPipelineTopics(config);
  const scorer = await startScorerService(config, log, { requireNative: false });
  const anomalies = await collectAnomalies(config);
  const redis = createRedis(config.redis.url);
  t.after(async () => {
    await anomalies.stop();
    await scorer.stop();
    await deleteKeys(redis, config.redis.keyPrefix);
    redis.disconnect();
  });
  const trainer = createRedisTrainer(config, redis, log);
  const registry = new ModelRegistry(redis, redisKeys(config.redis.keyPrefix));

  // Cold start: no model, so no events, and the windows warm the clean buffer up.
  await produceWindows(config, [...sineWindows('a', 300), ...sineWindows('b', 300, { seed: 2 })]);
  await eventually('the cold-start buffer to fill', async () => ((await trainer.buffer.size('g')) >= 400 ? true : undefined), 60_000);
  assert.equal(anomalies.events.length, 0, 'a group without a model emits no events');

  // The first fit (as the trainer does it) is promoted and the scorer picks it up.
  const first = await trainer.stage.refit('g', config.groups[0]!.model, refitPolicy(config));
  assert.equal(first.status, 'promoted', JSON.stringify(first));
  await eventually('the scorer to load v1', async () => ((await fetch(`${scorer.ops.url}/readyz`).then((r) => r.json())) as { models: Record<string, string> }).models.g === 'v1' || undefined, 20_000);

  // Anomalies now become episodes with deterministic ids.
  await produceWindows(config, sineWindows('a', 60, { from: 300, spikes: [330] }));
  const openId = anomalyEventId('a', 'g', (330 + 15) * 1000, 'v1');
  const closed = await eventually('the episode to close', async () => anomalies.events.find((e) => e.state === 'closed' && e.episodeId === openId), 30_000);
  const open = anomalies.events.find((e) => e.id === openId)!;
  assert.equal(open.state, 'open');
  assert.equal(open.series, 'a');
  assert.equal(open.modelVersion, 'v1');
  assert.ok((open.explanation as { topSteps: { step: number }[] }).topSteps.some((s) => s.step === 15), 'the explanation points at the spiked step');
  assert.ok(Date.parse(closed.windowEnd as string) > Date.parse(open.windowEnd as string));

  // A swap mid-stream (to a second version) takes effect without losing a window.
  const second = await registry.putVersion('g', (await registry.loadCurrent('g'))!.artifact, { note: 'same weights, new version' });
  const windowsBefore = await scoredWindows(scorer.ops.url);
  const produced = produceWindows(config, sineWindows('b', 200, { from: 300, seed: 2, spikes: [450] }));
  await registry.setCurrent('g', second.version);
  await produced;
  await eventually('all 200 windows scored', async () => ((await scoredWindows(scorer.ops.url)) - windowsBefore >= 200 ? true : undefined), 30_000);
  assert.equal((await scoredWindows(scorer.ops.url)) - windowsBefore, 200);
  await eventually('the swap', async () => ((await fetch(`${scorer.ops.url}/readyz`).then((r) => r.json())) as { models: Record<string, string> }).models.g === second.version || undefined, 10_000);
});

test('two trainers never fit the same group at once, and a worse candidate leaves the current model', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const config = pipelineTestConfig(infra);
  const redis = createRedis(config.redis.url);
  t.after(async () => {
    await deleteKeys(redis, config.redis.keyPrefix);
    redis.disconnect();
  });
  const one = createRedisTrainer(config, redis, log);
  const two = createRedisTrainer(config, redis, log);
  await one.buffer.append('g', sineWindows('a', 500));
  const [a, b] = await Promise.all([one.stage.refit('g', config.groups[0]!.model, refitPolicy(config)), two.stage.refit('g', config.groups[0]!.model, refitPolicy(config))]);
  assert.deepEqual([a.status, b.status].sort(), ['promoted', 'skipped']);
  const worse = await one.stage.refit('g', { ...config.groups[0]!.model, epochs: 1, learningRate: 1e-5, latentSize: 1 }, refitPolicy(config));
  assert.equal(worse.status, 'rejected');
  const versions = await one.registry.list('g');
  assert.deepEqual(versions.map((v) => [v.version, v.current]), [['v1', true]]);
  const decisions = (await one.registry.decisions('g')) as { promoted: boolean; reason: string }[];
  assert.equal(decisions[0]?.promoted, false);
});

async function scoredWindows(opsUrl: string): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  return Number(/^hourglass_scorer_windows_total\{group="g"\} (\d+)/m.exec(text)?.[1] ?? 0);
}
