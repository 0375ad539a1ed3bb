import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consumerGroupLag, createKafka } from '@hourglass/kafka';
import { compileConfig } from '@hourglass/core';
import { createRedis } from '@hourglass/redis';
import { createLogger } from '@hourglass/runtime';
import { startScorerService } from '@hourglass/scorer';
import { eventually, integrationInfrastructure, deleteKeys } from '../support/fixtures';
import { collectAnomalies, createPipelineTopics, installTrainedModel, pipelineTestConfig, produceWindows, sineWindows } from '../support/pipeline-fixtures';
import { startPrivateRedis } from '../support/processes';

const log = createLogger({ level: 'silent' });
const fixed = { threshold: { method: 'fixed', value: 1 } };

async function installModel(config: ReturnType<typeof pipelineTestConfig>): Promise<void> {
  const redis = createRedis(config.redis.url);
  await installTrainedModel(config, redis);
  redis.disconnect();
}

test('Redis stopped and started mid-run: events keep flowing, buffer writes are dropped and counted, then resume', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  let redisServer = await startPrivateRedis();
  const base = pipelineTestConfig(infra, { model: fixed });
  const config = compileConfig({ ...base, redis: { ...base.redis, url: redisServer.url } });
  await createPipelineTopics(config);
  await installModel(config);
  const scorer = await startScorerService(config, log, { requireNative: false });
  const anomalies = await collectAnomalies(config);
  t.after(async () => {
    await anomalies.stop();
    await scorer.stop();
    await redisServer.stop();
  });
  const metric = async (name: string): Promise<number> => Number(new RegExp(`^${name}\\{group="g"\\} (\\d+)`, 'm').exec(await (await fetch(`${scorer.ops.url}/metrics`)).text())?.[1] ?? 0);

  await produceWindows(config, sineWindows('a', 100, { spikes: [50] }));
  await eventually('events and buffer writes with Redis up', async () => (anomalies.events.length >= 2 && (await metric('hourglass_scorer_buffer_writes_total')) > 0 ? true : undefined), 30_000);

  await redisServer.stop();
  const eventsBefore = anomalies.events.length;
  await produceWindows(config, sineWindows('a', 100, { from: 100, spikes: [150] }));
  await eventually('events while Redis is down', async () => (anomalies.events.length >= eventsBefore + 2 ? true : undefined), 30_000);
  await eventually('dropped buffer writes counted', async () => ((await metric('hourglass_scorer_buffer_drops_total')) > 0 ? true : undefined), 10_000);
  assert.equal((await fetch(`${scorer.ops.url}/readyz`)).status, 200, 'the scorer stays ready without Redis');

  redisServer = await startPrivateRedis(redisServer.port);
  const redis = createRedis(redisServer.url);
  t.after(() => redis.disconnect());
  await eventually('the scorer to reconnect', async () => {
    await produceWindows(config, sineWindows('b', 20, { from: Math.floor(Math.random() * 1e6) }));
    return (await redis.xlen(`${config.redis.keyPrefix}buffer:g`)) > 0 ? true : undefined;
  }, 30_000, 1000);
});

test('a second scorer joining takes partitions over without losing a window', async (t) => {
  const infra = await integrationInfrastructure(t);
  if (!infra) return;
  const config = pipelineTestConfig(infra, { model: fixed, scorer: { batchMaxWindows: 64 } });
  await createPipelineTopics(config, 6);
  await installModel(config);
  const first = await startScorerService(config, log, { requireNative: false });
  const anomalies = await collectAnomalies(config);
  const series = ['s1', 's2', 's3', 's4', 's5', 's6'];
  const later: Awaited<ReturnType<typeof startScorerService>>[] = [];
  t.after(async () => {
    await anomalies.stop();
    for (const s of later) await s.stop();
    await first.stop();
    const redis = createRedis(config.redis.url);
    await deleteKeys(redis, config.redis.keyPrefix);
    redis.disconnect();
  });
  await produceWindows(config, series.flatMap((s, i) => sineWindows(s, 200, { seed: 30 + i, spikes: [100] })));
  const second = await startScorerService(config, log, { requireNative: false });
  later.push(second);
  await produceWindows(config, series.flatMap((s, i) => sineWindows(s, 200, { from: 200, seed: 40 + i, spikes: [300] })));
  const kafka = createKafka(config.kafka);
  await eventually('every window committed', async () => ([...(await consumerGroupLag(kafka, config.scorer.groupId, config.topics.windows)).values()].every((l) => l === 0) ? true : undefined), 90_000, 500);
  const scored = async (url: string) => Number(/^hourglass_scorer_windows_total\{group="g"\} (\d+)/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0);
  const [a, b] = [await scored(first.ops.url), await scored(second.ops.url)];
  assert.ok(b > 0, 'the second scorer got partitions');
  assert.ok(a + b >= series.length * 400, `every window scored at least once (${a} + ${b})`);
  for (const s of series) {
    const episodes = new Set(anomalies.events.filter((e) => e.series === s).map((e) => e.episodeId));
    assert.equal(episodes.size, 2, `${s}: one episode per spike`);
  }
});
